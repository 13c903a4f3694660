from pathlib import Path
from fastapi.testclient import TestClient
from api.http import create_app
from tests.conftest import complaint_data
from tests.integration.test_api import auth
from tests.integration.test_kpm_scope_review import households_and_a_complaint, KETUA, cli, kpm_registered  # noqa
from tests.integration.test_kpm_import import KK1

def test_repro(app, tmp_path: Path, cli):
    household, _, _ = households_and_a_complaint(app, tmp_path)
    c = app.service.open_case("complaint", complaint_data(region="3271011001", household=KK1), "kab.bogor").id
    client = TestClient(create_app(app))
    print(client.get(f"/cases/{c}", headers=auth(app, KETUA)).json()["attrs"])
    print(client.get(f"/cases/{c}/history", headers=auth(app, KETUA)).json()[0])
    print(client.get(f"/cases/{c}/replay", headers=auth(app, KETUA)).text[:3000])
    from api.cli import app as t
    for args in (["case","show",c,"--actor",KETUA,"--json"],["case","history",c,"--actor",KETUA],["case","replay",c,"--actor",KETUA] ):
        r = cli.invoke(t, args); print(args, r.exit_code, r.output)
    assert 0
