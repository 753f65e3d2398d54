"""A USB stick pulled out while a batch of photos is being attached: the files already copied
stay attached, the vanished one is reported, nothing half-written is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.checklist import Checklist
from core.errors import CancelledError, EvidenceError
from tests.conftest import make_photo


def test_file_vanishing_during_a_batch(checklist: Checklist, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    photos = [make_photo(stick / f"IMG_{n}.jpg", seed=n) for n in range(3)]

    def pull_the_stick(done: int, _total: int) -> None:
        if done == 1:  # the first file is copied; the rest disappear with the stick
            for photo in photos[1:]:
                photo.unlink()

    result = checklist.attach("REM-01", photos, progress=pull_the_stick)
    assert [e.original_name for e in result.added] == ["IMG_0.jpg"]
    assert [(e.path.name, e.problem) for e in result.failed if isinstance(e, EvidenceError)] == [
        ("IMG_1.jpg", "not_found"),
        ("IMG_2.jpg", "not_found"),
    ]
    assert len(checklist.evidence("REM-01")) == 1
    assert list((checklist.evidence_folder.root / "tmp").iterdir()) == []


def test_cancel_between_files_keeps_what_was_attached(checklist: Checklist, tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / f"p{n}.jpg", seed=n) for n in range(4)]
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 2  # the user presses «Отмена» after two files

    with pytest.raises(CancelledError):
        checklist.attach("REM-01", photos, cancelled=cancelled)
    stored = checklist.evidence("REM-01")
    assert [e.original_name for e in stored] == ["p0.jpg", "p1.jpg"]
    history = [h.field for h in checklist.history("REM-01")]
    assert history.count("evidence_added") == 2
