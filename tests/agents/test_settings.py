"""The model setting: a current model of the SDK's own list by default, ENGAGEMENT_MODEL to change it."""

from __future__ import annotations

import typing

import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types import Model

from engagement.settings import DEFAULT_MODEL, Settings


def test_the_default_model_is_listed_by_the_sdk_and_not_deprecated() -> None:
    listed = typing.get_args(typing.get_args(Model)[0])

    assert DEFAULT_MODEL in listed
    assert DEFAULT_MODEL not in DEPRECATED_MODELS


def test_engagement_model_sets_it_and_an_empty_one_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEMENT_MODEL", "claude-opus-5-5")
    assert Settings().model == "claude-opus-5-5"

    monkeypatch.setenv("ENGAGEMENT_MODEL", "")
    assert Settings().model == DEFAULT_MODEL
