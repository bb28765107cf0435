"""PLACEHOLDER: GET /health/live and /health/ready (to be written)."""

from fastapi import APIRouter

router = APIRouter()
