"""The baseline for intake: a bare FastAPI endpoint doing the same pydantic validation and nothing else.

``python -m bench.bare PORT`` serves ``POST /api/v1/requests`` with intake's own ``NewRequest``
model and answers 201 with a receipt of the same shape, made up on the spot: no database, no
sealing, no outbox, no middleware. Served by uvicorn exactly as the services are.
"""

from __future__ import annotations

import sys
import uuid
from datetime import date

import uvicorn
from fastapi import FastAPI

from services.intake.models import Accepted, NewRequest

app = FastAPI()


@app.post("/api/v1/requests", status_code=201, response_model=Accepted)
async def post_request(body: NewRequest) -> Accepted:
    return Accepted(case_id=uuid.uuid4(), reference="BARE-0000", region="bench", municipality=body.municipality,
                    answer_due=date.today(), deadline_business_days=1, pickup_code="BARE0-BARE0-BARE0-BARE0")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False, lifespan="on")
