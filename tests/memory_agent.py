"""A model-free agent that uses ADK's memory tools, for the Runner and ``adk api_server`` tests.

`RecallModel` stands in for an LLM: with ``load_memory`` among its tools it
calls it with the user's message, then answers with the texts it got back;
otherwise it answers with the past conversations ``preload_memory`` put in
its request (or says there were none).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.tools import load_memory, preload_memory
from google.genai import types
from pydantic import BaseModel

PAST = "<PAST_CONVERSATIONS>"


class RecallModel(BaseLlm):
    model: str = "scripted-recall"

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        last = llm_request.contents[-1]
        parts = last.parts or []
        answered = [part.function_response for part in parts if part.function_response]
        if answered:
            memories = memories_in(answered[0].response)
            texts = [
                part.get("text", "")
                for memory in memories
                for part in memory["content"].get("parts", [])
            ]
            yield _reply("Recalled: " + " | ".join(texts))
            return
        if "load_memory" in llm_request.tools_dict:
            question = " ".join(part.text for part in parts if part.text)
            call = types.FunctionCall(name="load_memory", args={"query": question})
            yield LlmResponse(
                content=types.Content(role="model", parts=[types.Part(function_call=call)])
            )
            return
        preloaded = [
            part.text
            for content in llm_request.contents
            for part in content.parts or []
            if part.text and PAST in part.text
        ]
        yield _reply(preloaded[0] if preloaded else "No past conversations.")


def memories_in(response: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The memories of a ``load_memory`` response: a model in process, JSON over HTTP."""
    result = (response or {}).get("result", response)
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return list((result or {}).get("memories", []))


def _reply(text: str) -> LlmResponse:
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))


def loading_agent() -> LlmAgent:
    return LlmAgent(name="recall", model=RecallModel(), tools=[load_memory])


def preloading_agent() -> LlmAgent:
    return LlmAgent(name="recall", model=RecallModel(), tools=[preload_memory])
