"""The squad without a file: names, optional team and bib colour, saved as the box's roster (`roster.toml`
in the data folder, docs/ROSTER.md's schema), which live sessions and `analyze` use when given none."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLineEdit, QTableWidget, QVBoxLayout

from edge_app.errors import AxolotlError
from ui.widgets import button, label, touch_scroll

COLOURS = ("", "red", "blue", "navy", "sky", "green", "yellow", "orange", "pink", "purple", "white", "black", "grey")


class RosterDialog(QDialog):
    """One row per player: name, team (optional), the team's bib colour (optional, one per team)."""

    def __init__(self, home, parent=None):
        super().__init__(parent)
        self.home = home
        self.setWindowTitle("Squad")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "Team", "Bib colour"])
        self.table.horizontalHeader().setStretchLastSection(True)
        touch_scroll(self.table)
        self.count = label("", "muted")
        self.status = label("", "muted", wrap=True)
        row = QHBoxLayout()
        row.addWidget(button("Add player", lambda: self.add_row()))
        row.addWidget(button("Remove", self.remove_row))
        row.addWidget(self.count, 1)
        row.addWidget(button("Save", self.save, name="go"))
        row.addWidget(button("Close", self.reject))
        lay = QVBoxLayout(self)
        lay.addWidget(label("Squad: who trains (the box counts and names them)", "title"))
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.status)
        self.load()

    def add_row(self, name: str = "", team: str = "", colour: str = "") -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, text in enumerate((name, team)):
            edit = QLineEdit(text)
            edit.setPlaceholderText(("name", "team (optional)")[c])
            self.table.setCellWidget(r, c, edit)
        combo = QComboBox()
        combo.setEditable(True)  # a #rrggbb too
        combo.addItems(COLOURS)
        combo.setCurrentText(colour)
        self.table.setCellWidget(r, 2, combo)
        self._count()

    def remove_row(self) -> None:
        r = self.table.currentRow()
        self.table.removeRow(r if r >= 0 else self.table.rowCount() - 1)
        self._count()

    def _count(self) -> None:
        self.count.setText(f"{self.table.rowCount()} players")

    def rows(self) -> list[tuple[str, str, str]]:
        return [
            tuple(self.table.cellWidget(r, c).text().strip() for c in (0, 1))
            + (self.table.cellWidget(r, 2).currentText().strip(),)
            for r in range(self.table.rowCount())
        ]

    def data(self) -> dict:
        """docs/ROSTER.md's schema; a player's colour without a team is their own shirt (a keeper)."""
        teams, players = {}, []
        for name, team, colour in self.rows():
            if not (name or team or colour):
                continue
            item = {"name": name} if name else {}
            if team:
                item["team"] = team
                if colour:
                    if teams.get(team, colour) != colour:
                        raise AxolotlError(f"team {team} has two bib colours ({teams[team]}, {colour}); give it one")
                    teams[team] = colour
            elif colour:
                item["colour"] = colour
            players.append(item)
        return {"teams": teams, "players": players}

    def load(self) -> None:
        from edge_app.report import default_roster

        self.table.setRowCount(0)
        try:
            roster = default_roster(self.home)
        except AxolotlError as exc:
            self.status.setText(str(exc))
            roster = None
        for p in roster.players if roster is not None else ():
            self.add_row(p.name or "", p.team or "", roster.teams.get(p.team) or p.colour or "")
        self._count()

    def save(self) -> None:
        from edge_app.report import save_default_roster

        try:
            roster = save_default_roster(self.data(), self.home)
        except AxolotlError as exc:
            self.status.setText(f"not saved: {exc}")
            return
        self.status.setText(f"saved: {len(roster)} players; new sessions use this squad")
