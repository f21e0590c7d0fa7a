"""The squad on the kiosk, without a file: Settings → Squad, rows of name, team and bib colour, saved as the
box's roster (a docs/ROSTER.md file that `read_roster` accepts and sessions given no roster use)."""

from PySide6.QtCore import Qt

from edge_app.identity import read_roster
from edge_app.report import default_roster


def test_the_squad_editor_saves_a_roster_the_box_reads(window, kiosk, qtbot, home):
    window.show_screen("settings")
    settings = window.screens["settings"]
    qtbot.mouseClick(settings.squad_btn, Qt.MouseButton.LeftButton)
    dialog = settings.squad
    assert dialog.isVisible() and dialog.table.rowCount() == 0
    for row in (("Sam", "reds", "red"), ("Alex", "reds", ""), ("Kim", "", "green"), ("", "blues", "blue")):
        dialog.add_row(*row)
    dialog.add_row()  # an empty row is left out
    assert dialog.count.text() == "5 players"

    dialog.save()
    assert dialog.status.text().startswith("saved: 4 players")
    roster = read_roster(home / "roster.toml")
    assert [(p.name, p.team, p.colour) for p in roster.players] == [
        ("Sam", "reds", None),
        ("Alex", "reds", None),
        ("Kim", None, "#1ea032"),
        (None, "blues", None),
    ]
    assert roster.teams == {"reds": "#c81e1e", "blues": "#1e3cc8"}
    assert default_roster() == roster  # what a live session or `analyze` without --roster takes

    dialog.add_row("sam", "", "")  # the same name twice: refused, the saved file kept
    dialog.save()
    assert dialog.status.text().startswith("not saved:") and "twice" in dialog.status.text()
    dialog.table.cellWidget(4, 0).setText("Jo")
    dialog.table.cellWidget(4, 1).setText("reds")
    dialog.table.cellWidget(4, 2).setCurrentText("blue")  # a second colour for one team
    dialog.save()
    assert "two bib colours" in dialog.status.text() and read_roster(home / "roster.toml") == roster

    dialog.reject()
    qtbot.mouseClick(settings.squad_btn, Qt.MouseButton.LeftButton)  # opened again: the saved squad
    assert settings.squad.rows() == [
        ("Sam", "reds", "#c81e1e"),
        ("Alex", "reds", "#c81e1e"),
        ("Kim", "", "#1ea032"),
        ("", "blues", "#1e3cc8"),
    ]
