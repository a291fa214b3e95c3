"""The LLM gateway: every call to the model goes through here, and none is ever a dependency.

``LlmGateway.parse(prompt, Schema)`` returns the model's structured answer or raises
``LlmUnavailable`` with a short reason; callers answer from rules then. Around each call:

* the ``openai`` client's own bounded retries (``max_retries``, default 2) on 429 and 5xx,
  honouring ``Retry-After``; a timeout per request (default 20 s). No retry loop of our own;
* a circuit breaker (``llm.breaker``): after ``breaker_failures`` consecutive failures
  (default 3) no call is made for ``breaker_cooldown_s`` (default 60 s); then one trial call,
  whose success closes it;
* token budgets: per ask (inside a ``metering`` block, counting the tokens the ask had spent
  before it) and per day across replicas (a ``TokenLedger``). Over budget: no call;
* usage: each call's tokens and estimated cost are added to the ``LlmUsage`` of the innermost
  ``metering`` block of this thread, and to the day's ledger; one INFO line per call (purpose,
  model, tokens, cost, latency), never the requester's words;
* prompts and answers are logged at DEBUG only, redacted (``llm.prompts.redact``);
* an optional ``observer(purpose, seconds, prompt_tokens, completion_tokens, outcome)`` is told
  about every call, for metrics (``bot.observability``). ``outcome`` is ``"ok"`` or why there was
  no usable answer (``OUTCOMES``); ``"budget"`` and ``"circuit_open"`` mean no call was made
  (``seconds`` is 0). An observer that raises never fails the call.

The model only returns data: no tools or functions are offered to it.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import BaseModel

from intake.clock import Clock, SystemClock
from intake.ports import TokenLedger
from intake.ticket import LlmUsage
from llm.breaker import CircuitBreaker
from llm.ledger import ProcessTokenLedger
from llm.prompts import Prompt, redact

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

# Characters per token, to estimate a prompt's size before it is sent (for the budgets).
_CHARS_PER_TOKEN = 4

LlmObserver = Callable[[str, float, int, int, str], None]
"""``(purpose, seconds, prompt_tokens, completion_tokens, outcome)`` of one call."""

OUTCOMES = (
    "ok",
    "budget",  # no call: a token budget is used up
    "circuit_open",  # no call: the circuit breaker is open
    "timeout",
    "connection_error",
    "rate_limited",  # HTTP 429 after the client's retries
    "http_error",
    "malformed",
    "cut",  # output cut at the token limit
    "content_filter",
    "refusal",
    "no_answer",
    "empty",
)


@dataclass(frozen=True)
class LlmConfig:
    """Everything the gateway needs, independent of how settings are read."""

    api_key: str = field(repr=False)
    base_url: str | None = None  # None: the OpenAI API
    model: str = "gpt-4o-mini"
    embedding_model: str = "text-embedding-3-small"
    timeout_s: float = 20.0
    max_retries: int = 2
    max_output_tokens: int = 1500
    per_ask_tokens: int = 20_000
    per_day_tokens: int = 500_000
    usd_per_1m_input: float = 0.0
    usd_per_1m_output: float = 0.0
    breaker_failures: int = 3
    breaker_cooldown_s: float = 60.0


class LlmUnavailable(Exception):
    """No usable answer from the model; ``reason`` says why in a few words (never user text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- metering -----------------------------------------------------------------------------------


@dataclass
class _Meter:
    spent_before: int
    usage: LlmUsage


class _Meters(threading.local):
    def __init__(self) -> None:
        self.stack: list[_Meter] = []


# -- the gateway --------------------------------------------------------------------------------


# Why a call got no answer, most specific class first (a timeout is a connection error): in
# words for LlmUnavailable, and as the outcome label of the calls metric.
_FAILURES: tuple[tuple[type[openai.OpenAIError], str, str], ...] = (
    (openai.APITimeoutError, "timeout", "timeout"),
    (openai.APIConnectionError, "connection error", "connection_error"),
    (openai.RateLimitError, "rate limited (HTTP 429)", "rate_limited"),
)


def _failure(error: openai.OpenAIError) -> tuple[str, str]:
    """Why ``error`` failed a call: the reason in words, and the metric's outcome."""
    for kind, reason, outcome in _FAILURES:
        if isinstance(error, kind):
            return reason, outcome
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}", "http_error"
    return type(error).__name__, "http_error"


@functools.cache
def response_format(schema: type[BaseModel]) -> ResponseFormat:
    """The strict JSON-schema response format for ``schema``, as ``chat.completions.parse``
    sends it, worked out once per schema. The schema is the ``openai`` client's own strict
    conversion, read through its public ``pydantic_function_tool`` (the same conversion and
    name ``parse`` uses, without importing the client's private parsing module)."""
    function = openai.pydantic_function_tool(schema)["function"]
    return {
        "type": "json_schema",
        "json_schema": {"schema": function["parameters"], "name": function["name"], "strict": True},
    }


class LlmGateway:
    """The one way to the model. Thread-safe; share one per process (one breaker, one budget).

    ``clock`` is a monotonic clock (seconds) for the breaker and latencies; ``wall_clock`` says
    which UTC day the per-day budget counts; ``client`` replaces the ``openai.OpenAI`` built
    from ``config``; ``observer`` is told about every call (see the module docstring; it may
    also be set later as the ``observer`` attribute); each request to the model is made inside
    ``waiting()`` (a worker lends its slot meanwhile: ``bot.work_slots``)."""

    def __init__(
        self,
        config: LlmConfig,
        ledger: TokenLedger | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Clock | None = None,
        client: openai.OpenAI | None = None,
        observer: LlmObserver | None = None,
        waiting: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self.config = config
        self.observer = observer
        self.waiting = waiting
        self.ledger: TokenLedger = ledger if ledger is not None else ProcessTokenLedger()
        self.clock = clock
        self.wall_clock: Clock = wall_clock or SystemClock()
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_cooldown_s, clock)
        self.client = client or openai.OpenAI(
            api_key=config.api_key,
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )
        self._meters = _Meters()

    # -- budgets and usage ----------------------------------------------------------------------

    @contextmanager
    def metering(self, spent_tokens: int) -> Iterator[LlmUsage]:
        """Count the calls this thread makes inside the block, for one ask that had already
        spent ``spent_tokens``: the per-ask budget applies to both together."""
        meter = _Meter(max(0, spent_tokens), LlmUsage())
        self._meters.stack.append(meter)
        try:
            yield meter.usage
        finally:
            self._meters.stack.remove(meter)

    def _today(self) -> date:
        return self.wall_clock.now().date()

    def _check_budget(self, estimate: int) -> None:
        stack = self._meters.stack
        if stack:
            meter = stack[-1]
            used = meter.spent_before + meter.usage.tokens
            if used + estimate > self.config.per_ask_tokens:
                raise LlmUnavailable("per-ask token budget used up")
        if self.ledger.spent(self._today()) + estimate > self.config.per_day_tokens:
            raise LlmUnavailable("per-day token budget used up")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Estimated USD for a call, from the configured prices per million tokens."""
        return (
            prompt_tokens * self.config.usd_per_1m_input
            + completion_tokens * self.config.usd_per_1m_output
        ) / 1_000_000

    def _record(
        self, purpose: str, model: str, prompt_tokens: int, completion_tokens: int, started: float
    ) -> None:
        cost = self.cost(prompt_tokens, completion_tokens)
        usage = LlmUsage(
            calls=1,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=round(cost, 6),
        )
        if self._meters.stack:
            self._meters.stack[-1].usage.add(usage)
        tokens = prompt_tokens + completion_tokens
        if tokens:
            self.ledger.add(self._today(), tokens)
        latency_ms = round((self.clock() - started) * 1000)
        log.info(
            "llm call purpose=%s model=%s prompt_tokens=%d completion_tokens=%d cost_usd=%.6f "
            "latency_ms=%d",
            purpose,
            model,
            prompt_tokens,
            completion_tokens,
            cost,
            latency_ms,
        )

    def _unanswered(
        self, purpose: str, started: float | None, error: openai.OpenAIError
    ) -> LlmUnavailable:
        """A call the service did not answer: the breaker counts it, the metrics say why."""
        self.breaker.failure()
        reason, outcome = _failure(error)
        self._observe(purpose, started, 0, 0, outcome)
        return LlmUnavailable(reason)

    def _observe(
        self,
        purpose: str,
        started: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        outcome: str,
    ) -> None:
        observer = self.observer
        if observer is None:
            return
        seconds = max(self.clock() - started, 0.0) if started is not None else 0.0
        try:
            observer(purpose, seconds, prompt_tokens, completion_tokens, outcome)
        except Exception:
            log.debug("the llm observer failed", exc_info=True)

    # -- calls ----------------------------------------------------------------------------------

    def _begin(self, purpose: str, estimate: int) -> None:
        try:
            self._check_budget(estimate)
        except LlmUnavailable:
            self._observe(purpose, None, 0, 0, "budget")
            raise
        if not self.breaker.allow():
            self._observe(purpose, None, 0, 0, "circuit_open")
            raise LlmUnavailable("circuit open")

    def parse(self, prompt: Prompt, schema: type[T]) -> T:
        """The model's answer to ``prompt`` as a ``schema`` instance (structured outputs).
        Raises ``LlmUnavailable`` on any failure: over budget, circuit open, timeout, HTTP
        error after the client's retries, refusal, malformed or truncated output."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        estimate = math.ceil((len(prompt.system) + len(prompt.user)) / _CHARS_PER_TOKEN)
        # Built and logged before the breaker's slot is taken: between that and the try only
        # the clock is read, so nothing can fail with the slot held.
        body = {
            "model": self.config.model,
            "messages": messages,
            "response_format": response_format(schema),
            "max_completion_tokens": self.config.max_output_tokens,
        }
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "llm prompt purpose=%s:\n[system]\n%s\n[user]\n%s",
                prompt.purpose,
                redact(prompt.system),
                redact(prompt.user),
            )
        self._begin(prompt.purpose, estimate)
        started = self.clock()
        try:
            # The plain POST of the client (retries, Retry-After, timeouts and errors as
            # ``chat.completions.parse``) with a body built here: ``parse`` derives the strict
            # schema and type-checks every parameter again on each call, 11 % of a worker's
            # CPU under load (benchmarks/README.md, fifth round). The answer is read below as
            # ``parse`` would.
            with self.waiting():
                raw = self.client.post("/chat/completions", body=body, cast_to=bytes)
        except openai.OpenAIError as error:
            raise self._unanswered(prompt.purpose, started, error) from error
        except BaseException:
            self.breaker.release()
            raise
        # The service answered: whatever the answer is worth, the breaker closes.
        self.breaker.success()
        try:
            completion = ChatCompletion.model_validate_json(raw)
        except ValueError as error:  # not a chat completion at all (no usage to count)
            self._record(prompt.purpose, self.config.model, 0, 0, started)
            self._observe(prompt.purpose, started, 0, 0, "malformed")
            raise LlmUnavailable("malformed output") from error
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        self._record(
            prompt.purpose,
            completion.model or self.config.model,
            prompt_tokens,
            completion_tokens,
            started,
        )

        def fail(outcome: str, reason: str) -> LlmUnavailable:
            self._observe(prompt.purpose, started, prompt_tokens, completion_tokens, outcome)
            return LlmUnavailable(reason)

        if not completion.choices:
            raise fail("no_answer", "no answer")
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise fail("cut", "output cut at the token limit")
        if choice.finish_reason == "content_filter":
            raise fail("content_filter", "content filter")
        message = choice.message
        if message.refusal:
            raise fail("refusal", "refusal")
        if log.isEnabledFor(logging.DEBUG):
            log.debug("llm answer purpose=%s: %s", prompt.purpose, redact(message.content or ""))
        if not message.content:
            raise fail("empty", "empty output")
        try:
            parsed = schema.model_validate_json(message.content)
        except ValueError as error:  # malformed JSON or a schema mismatch; tokens were spent
            raise fail("malformed", "malformed output") from error
        self._observe(prompt.purpose, started, prompt_tokens, completion_tokens, "ok")
        return parsed

    def embed(self, texts: Sequence[str], purpose: str = "embed") -> list[list[float]]:
        """One vector per text (``config.embedding_model``). Raises ``LlmUnavailable``."""
        if not texts:
            return []
        estimate = math.ceil(sum(len(t) for t in texts) / _CHARS_PER_TOKEN)
        self._begin(purpose, estimate)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("llm embed purpose=%s: %s", purpose, " | ".join(redact(t) for t in texts))
        started = self.clock()
        try:
            with self.waiting():
                response = self.client.embeddings.create(
                    model=self.config.embedding_model, input=list(texts)
                )
        except openai.OpenAIError as error:
            raise self._unanswered(purpose, started, error) from error
        except Exception as error:  # an answer the client could not decode
            self.breaker.success()
            self._observe(purpose, started, 0, 0, "malformed")
            raise LlmUnavailable("malformed output") from error
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.success()
        tokens = response.usage.prompt_tokens if response.usage else 0
        self._record(purpose, response.model or self.config.embedding_model, tokens, 0, started)
        vectors = [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        if len(vectors) != len(texts) or any(not v for v in vectors):
            self._observe(purpose, started, tokens, 0, "malformed")
            raise LlmUnavailable("malformed output")
        self._observe(purpose, started, tokens, 0, "ok")
        return [[float(x) for x in vector] for vector in vectors]
