"""One Settings object, read from the environment with the PKH_ prefix."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "pkh-embedded-dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PKH_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///var/pkh.db"
    secret_key: str = DEFAULT_SECRET
    ketua_kelompok_days: int = 20  # until the next monthly group meeting
    pendamping_days: int = 5
    max_backdate_days: int = 60  # how far back an officer may date a paper form
    app_url: str = "http://127.0.0.1:8000"  # links in reminders
    # outgoing messages (notifications/dispatch.py)
    smtp_host: str | None = None  # unset: e-mails are written to the log channel instead
    smtp_port: int = 25
    smtp_from: str = "SPM-PKH <pengaduan-pkh@localhost>"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0
    webhook_url: str | None = None  # SMS/WhatsApp gateway
    webhook_secret: str | None = None  # HMAC-SHA256 key for X-PKH-Signature
    dispatch_max_attempts: int = 6  # then the message is dead-lettered for an admin to retry
    dispatch_backoff_seconds: int = 60  # doubled after each failed attempt
    # Worker threads of one API process (the requests served at once; others wait their turn
    # in the event loop). Few, because the work is CPU and the GIL: on 2 cores, 8 threads
    # served the worklist at 1.5x the rate of anyio's default 40, with half the p99 (bench
    # api_worklist_p99_ms). Raise it when requests mostly wait on a remote database.
    api_threads: int = Field(default=8, ge=1, le=1000)
    # Processes of a whole-store audit verify (engine.store.audit_runner.verify); unset: one
    # per CPU. 1 verifies in the calling process.
    audit_workers: int | None = Field(default=None, ge=1, le=256)
    calendar_first_year: int = 2004
    calendar_last_year: int = 2040

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check(self) -> None:
        """Refuse to run a shared deployment with the default secret."""
        weak = self.secret_key == DEFAULT_SECRET or len(self.secret_key.strip()) < 32
        if not self.embedded and weak:
            raise RuntimeError(
                "PKH_SECRET_KEY must be set to a random string of 32 characters or more when "
                "PKH_DATABASE_URL is not SQLite"
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
