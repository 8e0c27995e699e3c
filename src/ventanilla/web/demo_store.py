"""The demo store's own backend: the order API the assistant's connector calls."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request

from ventanilla.domain.errors import Conflict, NotFound, Unauthorized
from ventanilla.services import demo

router = APIRouter(prefix="/demo-store/api", include_in_schema=False)

# An order can be cancelled until it leaves the warehouse; cancelling twice is harmless.
CANCELLABLE = ("pending", "processing")


def _check(request: Request) -> None:
    given = request.headers.get("x-store-key", "")
    if not hmac.compare_digest(given, demo.DEMO_STORE_KEY):
        raise Unauthorized("missing or wrong x-store-key")


@router.get("/orders/{order}")
def order(order: str, request: Request) -> dict[str, Any]:
    _check(request)
    found = demo.ORDERS.get(order)
    if found is None:
        raise NotFound(f"order {order} not found")
    return found


@router.post("/orders/{order}/cancel")
def cancel(order: str, request: Request) -> dict[str, Any]:
    _check(request)
    found = demo.ORDERS.get(order)
    if found is None:
        raise NotFound(f"order {order} not found")
    if found["status"] != "cancelled" and found["status"] not in CANCELLABLE:
        raise Conflict(f"order {order} is {found['status']} and can no longer be cancelled")
    found["status"] = "cancelled"
    return {"cancelled": True, "status": "cancelled"}
