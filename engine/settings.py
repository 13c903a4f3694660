"""One Settings object, read from the environment with the PKH_ prefix."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "pkh-embedded-dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PKH_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///var/pkh.db"
    secret_key: str = DEFAULT_SECRET
    ketua_kelompok_days: int = 20  # until the next monthly group meeting
    pendamping_days: int = 5
    max_backdate_days: int = 60  # how far back an officer may date a paper form
    calendar_first_year: int = 2004
    calendar_last_year: int = 2040

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check(self) -> None:
        """Refuse to run a shared deployment with the default secret."""
        if not self.embedded and self.secret_key == DEFAULT_SECRET:
            raise RuntimeError("PKH_SECRET_KEY must be set when PKH_DATABASE_URL is not SQLite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
