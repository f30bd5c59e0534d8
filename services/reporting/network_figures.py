"""The region's change agents' network in the statistics (pages.py, ``/network``): agents by municipality and
sector, applications by month up to the recruitment's closing day, tasks' completion and surveys' choices. Counts
only, each under 5 (0 included) shown as "x", as every count of the dashboards (privacy.py's rule 2)."""

from __future__ import annotations

from typing import Any

import orjson

from services.reporting.i18n import t
from services.reporting.privacy import SUPPRESSED
from shared.db import Conn
from shared.network_events import Question

SMALL = 5
IN_NETWORK = ["confirmed", "active", "paused"]


def shown(count: int) -> int | str:
    return count if count >= SMALL else SUPPRESSED


async def network_figures(conn: Conn, region: str, lang: str) -> dict[str, Any]:
    by_municipality = await conn.fetch(
        "SELECT municipality AS label, count(*) AS n FROM network_agents WHERE region = $1"
        " AND status = ANY($2::text[]) GROUP BY 1 ORDER BY 1", region, IN_NETWORK)
    by_sector = await conn.fetch(
        "SELECT sector AS label, count(*) AS n FROM network_agents WHERE region = $1 AND status = ANY($2::text[])"
        " GROUP BY 1 ORDER BY 1", region, IN_NETWORK)
    by_month = await conn.fetch(
        "SELECT to_char(applied_on, 'YYYY-MM') AS label, count(*) AS n FROM network_agents a WHERE region = $1"
        " AND applied_on <= coalesce((SELECT max(closing_day) FROM network_campaigns c WHERE c.region = $1),"
        " applied_on) GROUP BY 1 ORDER BY 1", region)
    tasks = await conn.fetch("SELECT * FROM network_tasks WHERE region = $1 ORDER BY published_on DESC", region)
    surveys = []
    for survey in await conn.fetch("SELECT * FROM network_surveys WHERE region = $1 ORDER BY title_fi", region):
        cells = {(r["question"], r["choice"]): r["answers"] for r in await conn.fetch(
            "SELECT question, choice, answers FROM network_survey_cells WHERE survey_id = $1", survey["survey_id"])}
        questions = []
        for index, question in enumerate(Question.model_validate(q) for q in orjson.loads(survey["questions"])):
            if question.kind not in ("single", "multiple", "scale"):
                continue
            labels = (list(question.options_sv if lang == "sv" else question.options_fi)
                      if question.kind != "scale" else [str(n) for n in range(1, 6)])
            offset = 1 if question.kind == "scale" else 0
            questions.append({"text": question.text_sv if lang == "sv" else question.text_fi,
                              "rows": [(label, shown(cells.get((index, i + offset), 0)))
                                       for i, label in enumerate(labels)]})
        surveys.append({"title": survey["title_sv" if lang == "sv" else "title_fi"],
                        "answers": shown(survey["answers"]), "questions": questions})
    return {
        "by_municipality": [(r["label"], shown(r["n"])) for r in by_municipality],
        "by_sector": [(t(f"network_sector_{r['label']}", lang), shown(r["n"])) for r in by_sector],
        "by_month": [(r["label"], shown(r["n"])) for r in by_month],
        "tasks": [{"title": r["title_sv" if lang == "sv" else "title_fi"], "recipients": shown(r["recipients"]),
                   "accepted": shown(r["accepted"]), "reported": shown(r["reported"])} for r in tasks],
        "surveys": surveys,
    }
