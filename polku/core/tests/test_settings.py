from config.settings.base import database_config, mailer_config


def test_sqlite_default_uses_wal_immediate_transactions_and_busy_timeout():
    config = database_config(None)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"].endswith("db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] == 20
    init = config["OPTIONS"]["init_command"]
    assert "PRAGMA journal_mode=WAL;" in init
    assert "PRAGMA synchronous=NORMAL;" in init
    assert "PRAGMA busy_timeout=20000;" in init


def test_postgres_url_uses_the_psycopg_pool_sized_from_the_environment(monkeypatch):
    config = database_config("postgres://polku:s3cret@db.internal:5433/polku")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        5433,
        "polku",
        "polku",
    )
    assert config["CONN_MAX_AGE"] == 0  # Django's pool takes connections back after a request
    pool = config["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"], pool["max_idle"]) == (
        2,
        8,
        10.0,
        300,
    )
    assert "transaction_mode" not in config["OPTIONS"]
    monkeypatch.setenv("POLKU_DB_POOL_MIN", "4")
    monkeypatch.setenv("POLKU_DB_POOL_MAX", "3")  # never below the minimum
    monkeypatch.setenv("POLKU_DB_POOL_WAIT", "2.5")
    pool = database_config("postgres://db.internal/polku")["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"]) == (4, 4, 2.5)


def test_email_url_unset_is_console_and_smtp_url_is_parsed():
    assert mailer_config(None) == {"BACKEND": "polku.core.mail_console.EmailBackend"}
    smtp = mailer_config("smtp://mailer%40org.fi:p%40ss@smtp.org.fi:587")
    assert smtp == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.org.fi",
            "port": 587,
            "username": "mailer@org.fi",
            "password": "p@ss",
            "use_tls": True,
            "use_ssl": False,
        },
    }
    assert mailer_config("smtps://u:p@smtp.org.fi:465")["OPTIONS"]["use_ssl"] is True
