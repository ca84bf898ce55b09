"""The embedded broker (config/broker.py): a message is never seen half-written, and an
unreadable message file does not stop a consumer (issue 14)."""

from __future__ import annotations

import os

import pytest
from kombu import Connection

from config.broker import TEMP_SUFFIX, Transport


@pytest.fixture
def folders(tmp_path):
    paths = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for path in paths.values():
        path.mkdir()
    return paths


def connect(folders) -> Connection:
    return Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
        },
    )


def test_the_filesystem_url_uses_the_atomic_transport(folders):
    with connect(folders) as conn:
        assert conn.transport_cls is Transport or isinstance(conn.transport, Transport)


def test_a_message_appears_under_its_queue_name_only_when_complete(folders, monkeypatch):
    seen_while_writing: list[list[str]] = []
    real_fdopen = os.fdopen

    class Spy:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def write(self, data):
            # Half-way through the write: what would a poller find in the folder?
            self.f.write(data[: len(data) // 2])
            seen_while_writing.append(sorted(os.listdir(folders["queue"])))
            return self.f.write(data[len(data) // 2 :])

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Spy(real_fdopen(fd, mode)))
    with connect(folders) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        monkeypatch.undo()
        assert seen_while_writing, "the spy saw the write"
        for names in seen_while_writing:
            assert all(name.endswith(TEMP_SUFFIX) for name in names), names
        assert queue.get(timeout=1).payload == {"n": 1}
        queue.close()
    assert not [n for n in os.listdir(folders["queue"]) if n.endswith(TEMP_SUFFIX)]


def test_an_empty_or_cut_message_file_is_dropped_and_the_next_one_read(folders):
    with connect(folders) as conn:
        queue = conn.SimpleQueue("jobs-cut")  # kombu keeps declared queues per process
        # What kombu's own transport left behind for a poller: an empty file, a cut one.
        (folders["queue"] / "1_a.jobs-cut.msg").write_bytes(b"")
        (folders["queue"] / "2_b.jobs-cut.msg").write_bytes(b'{"body": "ey')
        queue.put({"n": 2})
        assert queue.get(timeout=1).payload == {"n": 2}
        queue.close()
