"""The network page's figures (network_figures.py) as dashboard tables, so the page and its CSV and XLSX files are
made of the same cells: a count the page hides as "x" is an "x" in the file too, and a title that begins like a
formula is written as text (export.py).

Each table has a stable id for its download (``/network/export/<id>.csv``); a survey's questions are numbered by
the survey's place on the page and the question's place in it, as the page lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.reporting.i18n import t
from services.reporting.model import Cell, Column, Table

PAGE_FILE = "page-network"  # every table of the page in one XLSX, as the other pages' "page-<name>"


@dataclass(frozen=True)
class SurveyTables:
    """One survey on the page: its title, how many answered (or "x") and each question with its table (whose title,
    for a file, also names the survey)."""

    title: str
    answers: int | str
    questions: list[tuple[str, Table]]


@dataclass(frozen=True)
class NetworkTables:
    """The network page's tables, in the page's order; the surveys' also grouped by survey for the page."""

    agents: list[Table]
    tasks: Table
    surveys: list[SurveyTables]

    @property
    def every(self) -> list[Table]:
        return [*self.agents, self.tasks, *(table for survey in self.surveys for _, table in survey.questions)]

    def find(self, table_id: str) -> Table | None:
        return next((table for table in self.every if table.id == table_id), None)


def _counts(table_id: str, title: str, label: str, rows: list[tuple[str, Cell]], lang: str) -> Table:
    return Table(id=table_id, title=title,
                 columns=(Column("label", label, "label"), Column("count", t("network_count", lang), "count")),
                 rows=[[name, n] for name, n in rows])


def network_tables(figures: dict[str, Any], lang: str) -> NetworkTables:
    """``figures`` (network_figures, municipalities already named) as the page's tables in ``lang``."""
    agents = [
        _counts("network-municipalities", t("network_by_municipality", lang), t("network_municipality", lang),
                figures["by_municipality"], lang),
        _counts("network-sectors", t("network_by_sector", lang), t("network_sector", lang), figures["by_sector"],
                lang),
        _counts("network-months", t("network_by_month", lang), t("network_month", lang), figures["by_month"], lang),
    ]
    tasks = Table(id="network-tasks", title=t("network_tasks", lang),
                  columns=(Column("task", t("network_task", lang), "label"),
                           Column("recipients", t("network_recipients", lang), "count"),
                           Column("accepted", t("network_accepted", lang), "count"),
                           Column("reported", t("network_reported", lang), "count")),
                  rows=[[task["title"], task["recipients"], task["accepted"], task["reported"]]
                        for task in figures["tasks"]])
    surveys = []
    for s, survey in enumerate(figures["surveys"], start=1):
        answers = t("network_answers", lang, count=survey["answers"])
        questions = []
        for q, question in enumerate(survey["questions"], start=1):
            columns = (Column("choice", t("network_choice", lang), "label"),
                       Column("count", t("network_count", lang), "count"))
            questions.append((question["text"], Table(
                id=f"network-survey-{s}-{q}", title=f"{survey['title']}: {question['text']}", columns=columns,
                rows=[[label, n] for label, n in question["rows"]], note=answers)))
        surveys.append(SurveyTables(title=survey["title"], answers=survey["answers"], questions=questions))
    return NetworkTables(agents=agents, tasks=tasks, surveys=surveys)
