"""faust's data directory and table store: where a service keeps its local state, and that
`incidentbus run` uses the RocksDB store (through rocksdict) unless told otherwise. Nothing here
connects: apps are built, not started (tests/integration/test_store.py restarts a real one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust.worker
import pytest
from faust.stores.rocksdb import Store as RocksDBStore
from typer.testing import CliRunner

import incidentbus.agencies.service as agency_service
from incidentbus.cli.main import app as cli
from incidentbus.kernel.faust_shell import MEMORY_STORE, ROCKSDB_STORE, data_dir, make_app
from incidentbus.kernel.settings import BusSettings


def test_the_data_directory_is_under_var_unless_the_settings_say_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INCIDENTBUS_DATA_DIR", raising=False)
    assert BusSettings().data_dir == Path("var/faust")
    monkeypatch.setenv("INCIDENTBUS_DATA_DIR", str(tmp_path))
    assert BusSettings().data_dir == tmp_path


def test_each_app_has_a_data_directory_of_its_own_under_the_settings_one(tmp_path: Path) -> None:
    settings = BusSettings(data_dir=tmp_path, topic_prefix="t{1}.")  # faust formats the path: braces stay
    app = make_app(settings, "incidentbus-police", web_port=6999)
    assert (
        app.conf.datadir == tmp_path / "t{1}.incidentbus-police" == data_dir(settings, "incidentbus-police")
    )
    assert app.conf.tabledir == app.conf.datadir / "v1" / "tables"
    assert not app.conf.datadir.exists()  # made when the app first starts, not when it is built
    relative = BusSettings(data_dir=Path("var/faust"))
    assert data_dir(relative, "x") == Path.cwd() / "var" / "faust" / "x"  # fixed when built


def test_the_rocksdb_store_runs_on_rocksdict(tmp_path: Path) -> None:
    settings = BusSettings(data_dir=tmp_path)
    app = make_app(settings, "incidentbus-test", web_port=6999, store=ROCKSDB_STORE)
    table = app.Table("things", default=None, partitions=2, key_type=str, value_type=str)
    store = table.data
    assert isinstance(store, RocksDBStore)
    assert store.use_rocksdict  # not python-rocksdb, which is not installed
    db = store._db_for_partition(0)
    db.put(b"key", b"value")
    assert db.get(b"key") == b"value"
    assert store.partition_path(0) == tmp_path / "incidentbus-test" / "v1" / "tables" / "things-0.db"
    assert store.partition_path(0).is_dir()


@pytest.mark.parametrize(("given", "used"), [([], ROCKSDB_STORE), (["--store", MEMORY_STORE], MEMORY_STORE)])
def test_incidentbus_run_uses_the_rocksdb_store_by_default(
    given: list[str], used: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores: list[str] = []
    ran: list[Any] = []

    def build_app(adapter: Any, settings: BusSettings, *, web_port: int, store: str) -> object:
        stores.append(store)
        return object()

    class Worker:
        def __init__(self, app: object, **kwargs: Any) -> None:
            ran.append(app)

        def execute_from_commandline(self) -> None:
            pass

    monkeypatch.setattr(agency_service, "build_app", build_app)
    monkeypatch.setattr(faust.worker, "Worker", Worker)
    done = CliRunner().invoke(cli, ["run", "police", *given])
    assert done.exit_code == 0, done.output
    assert stores == [used]
    assert len(ran) == 1
