"""Make sure PostgreSQL answers on 127.0.0.1:5432 and give the run a fresh `reviewapp_test` database."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = os.environ.get("PG_TEST_DB", "reviewapp_test")


def server_up() -> bool:
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


def start_server() -> None:
    versions = os.listdir("/etc/postgresql")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"], check=False)
    for _ in range(30):
        if server_up():
            return
        time.sleep(1)
    sys.exit("PostgreSQL did not start on 127.0.0.1:5432")


def main() -> None:
    if not server_up():
        start_server()
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (NAME,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}"')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    print(f"PostgreSQL ready: fresh database {NAME}")


if __name__ == "__main__":
    main()
