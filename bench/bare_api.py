"""The baseline of the API benchmark: a bare FastAPI route under uvicorn answering a recommendations-sized JSON.

No token, tenancy, rate limit, access log or metrics: what the platform's API
adds on top of the framework is what the benchmark's ratio measures.
``python -m uvicorn bench.bare_api:app``.
"""

from typing import Any

from fastapi import FastAPI

app = FastAPI()

ANSWER: dict[str, Any] = {
    "household_id": 1,
    "model_version": 1,
    "recommendations": [
        {
            "rank": rank,
            "product_id": 1_000_000 + rank,
            "department": "GROCERY",
            "product_category": "SOFT DRINKS",
            "product_type": "SOFT DRINKS 12/18&15PK CAN CAR",
            "brand_type": "National",
            "source": "model",
        }
        for rank in range(1, 11)
    ],
}


@app.get("/v1/households/{household_id}/recommendations")
async def recommendations(household_id: int) -> dict[str, Any]:
    return {**ANSWER, "household_id": household_id}
