"""The disk under the data folder fails while the window is open: the user is told in Russian,
the window stays, and everything saved before is still there afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.model import ItemStatus
from tests.conftest import fill_up
from tests.ui.conftest import type_text, wait_for_writes


@pytest.fixture
def own_mount(mount_tmpfs: Callable[[str, str], Path]) -> Path:
    """A real file system of our own that the test can fill up."""
    return mount_tmpfs("disk", "64m")


def test_disk_fills_up_during_work(qtbot, app, open_window, own_mount, profile, warnings):
    from main import open_checklist

    data_dir = own_mount / "data"
    first = open_checklist(data_dir)
    first.save_profile(profile)
    first.update_item("DOC-01", status=ItemStatus.DONE, comment="подписан")
    first.store.close()  # type: ignore[attr-defined]

    window = open_window(data_dir)
    window.show_item("DOC-02")
    detail = window.checklist_view.detail
    filler = fill_up(own_mount)
    try:
        type_text(detail.responsible, "Иванов И. И. " * 400)
        detail.flush()
        wait_for_writes(qtbot, window)
        assert warnings, "the failed save was not reported"
        assert "закончилось место" in warnings[-1]
        assert window.isVisible()
        # the panel shows what is really stored, not the edit that failed
        assert detail.responsible.text() == ""
    finally:
        filler.unlink()
    window.close()

    again = open_checklist(data_dir)
    assert again.state("DOC-01").status is ItemStatus.DONE
    assert again.state("DOC-01").comment == "подписан"
    assert again.profile() == profile
