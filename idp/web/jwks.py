"""PLACEHOLDER: GET /jwks (to be written)."""

from fastapi import APIRouter

router = APIRouter()
