"""The demo's traces: support chats, agent runs, retrieval answers, failed calls and long chats, built as the
events a PostHog SDK would send. Content is deterministic for a given random generator."""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# USD per million tokens (input, output).
PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "text-embedding-3-small": (0.02, 0.0),
}
SUPPORT_PROMPT = ("You are the support assistant of Northwind Outfitters, an online outdoor-gear shop. Be brief, "
                  "friendly and accurate. Never promise refunds outside the 30-day policy.")


@dataclass
class DemoTrace:
    """Builds one trace's events as a PostHog SDK would send them."""

    rng: random.Random
    kind: str
    start: datetime
    distinct_id: str
    session_id: str | None = None
    trace_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    clock: float = 0.0

    def __post_init__(self) -> None:
        self.trace_id = self.new_id()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def emit(self, name: str, seconds: float, **properties: Any) -> None:
        if self.session_id:
            properties.setdefault("$ai_session_id", self.session_id)
        self.events.append({
            "event": name, "uuid": self.new_id(), "distinct_id": self.distinct_id,
            "timestamp": (self.start + timedelta(seconds=seconds)).isoformat(),
            "properties": {"$ai_trace_id": self.trace_id, "$lib": "posthog-python", **properties},
        })

    def generation(self, messages: list[dict[str, Any]], reply: dict[str, Any] | None, *, model: str = "gpt-4o-mini",
                   parent: str | None = None, name: str = "chat completion", tools: list | None = None,
                   error: str | None = None, status: int = 200) -> str:
        span_id = self.new_id()
        latency = round(self.rng.uniform(0.6, 3.5), 3)
        input_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4 + self.rng.randint(20, 80)
        output_tokens = 0 if reply is None else len(str(reply.get("content") or reply.get("tool_calls"))) // 4 + 5
        in_price, out_price = PRICES[model]
        properties: dict[str, Any] = {
            "$ai_span_id": span_id, "$ai_parent_id": parent or self.trace_id, "$ai_span_name": name,
            "$ai_model": model, "$ai_provider": "anthropic" if model.startswith("claude") else "openai",
            "$ai_input": messages, "$ai_input_tokens": input_tokens, "$ai_output_tokens": output_tokens,
            "$ai_input_cost_usd": round(input_tokens * in_price / 1e6, 8),
            "$ai_output_cost_usd": round(output_tokens * out_price / 1e6, 8),
            "$ai_latency": latency, "$ai_http_status": status, "$ai_temperature": 0.2, "$ai_stream": False,
            "$ai_base_url": "https://api.anthropic.com" if model.startswith("claude") else "https://api.openai.com/v1",
        }
        if reply is not None:
            properties["$ai_output_choices"] = [reply]
        if tools:
            properties["$ai_tools"] = tools
        if error:
            properties.update({"$ai_is_error": True, "$ai_error": error})
        self.emit("$ai_generation", self.clock, **properties)
        self.clock += latency + self.rng.uniform(0.1, 0.6)
        return span_id

    def span(self, name: str, input_state: Any, output_state: Any, *, parent: str | None = None,
             span_id: str | None = None, error: str | None = None) -> str:
        span_id = span_id or self.new_id()
        latency = round(self.rng.uniform(0.05, 0.9), 3)
        properties = {"$ai_span_id": span_id, "$ai_parent_id": parent or self.trace_id, "$ai_span_name": name,
                      "$ai_input_state": input_state, "$ai_output_state": output_state, "$ai_latency": latency}
        if error:
            properties.update({"$ai_is_error": True, "$ai_error": error})
        self.emit("$ai_span", self.clock, **properties)
        self.clock += latency
        return span_id

    def root(self, name: str, input_state: Any, output_state: Any) -> None:
        self.emit("$ai_trace", 0, **{"$ai_span_name": name, "$ai_input_state": input_state,
                                     "$ai_output_state": output_state, "$ai_latency": round(self.clock, 3)})


SUPPORT_CHATS = (
    ("Refund request", [
        ("I bought hiking boots 3 weeks ago and they hurt. Can I return them?",
         "Yes. Items can be returned within 30 days of delivery, even if worn indoors. Start the return from "
         "Orders > Return item and you will get a prepaid label."),
        ("They were worn outside twice. Still ok?",
         "Boots worn outdoors can still be returned if they are clean and undamaged; the team inspects them "
         "and refunds within 5 business days of receiving them."),
    ]),
    ("Password reset", [
        ("I can't log in, the reset email never arrives.",
         "Sorry about that! Please check the spam folder for a mail from no-reply@northwind.example. If it is "
         "not there, I can resend it: which email address is on the account?"),
        ("jamie.k@example.org",
         "Thanks, I've triggered a new reset email to jamie.k@example.org. The link is valid for 30 minutes."),
    ]),
    ("Late delivery", [
        ("My tent was supposed to arrive Monday. Tracking hasn't moved in 4 days.",
         "I'm sorry for the wait. The carrier shows the parcel at the regional hub since Thursday; this usually "
         "clears within 2 days. If it has not moved by Wednesday, we'll send a replacement at no cost."),
    ]),
    ("Cancel subscription", [
        ("How do I cancel the Trail Club membership?",
         "You can cancel any time under Account > Membership > Cancel. Benefits stay active until the end of "
         "the paid period."),
        ("Will I lose my points?", "Points stay on your account for 12 months after cancelling."),
        ("OK thanks, cancelling now.", "Done deal. If you change your mind, rejoining keeps your old points."),
    ]),
    ("Double charge", [
        ("I was charged twice for order 88213!",
         "I can see two authorisations for order 88213. The second one is a pending hold that your bank will "
         "release automatically within 3-5 business days; only one charge will settle."),
    ]),
    ("Size advice", [
        ("Do the Alpine Pro jackets run small? I'm usually a M.",
         "The Alpine Pro has an athletic fit. Most customers who are between sizes go one size up, so an L "
         "if you like to layer underneath."),
    ]),
    ("Warranty claim", [
        ("The zipper on my 2-year-old backpack broke.",
         "Backpacks carry a 5-year warranty on zippers. Send a photo via Orders > Warranty claim and we'll "
         "repair or replace it."),
        ("Do I pay for shipping?", "No, warranty shipping is free both ways."),
    ]),
    ("Coupon not applied", [
        ("The code SPRING15 says it's invalid.",
         "SPRING15 applies to full-price items only; your cart has two sale items. Remove them and the code "
         "will take 15% off the rest."),
    ]),
    ("International shipping", [
        ("Do you ship to Norway?",
         "Yes, we ship to Norway with DHL in 4-6 business days. Import VAT is charged at checkout, so there are "
         "no surprises on delivery."),
    ]),
    ("Damaged item", [
        ("My camping stove arrived with a cracked burner.",
         "I'm sorry! Please don't use it. I've arranged a replacement shipped today and a return label for the "
         "damaged stove."),
        ("Thank you, that was fast.", "Happy to help. Enjoy your trip!"),
    ]),
)

AGENT_TASKS = (
    ("Where is order 88213?", "lookup_order", {"order_id": "88213"},
     {"status": "in_transit", "carrier": "UPS", "eta": "Thursday"},
     "Order 88213 is on its way with UPS and should arrive on Thursday."),
    ("Change the delivery address of order 90114 to 12 Elm Street, Leeds.", "update_address",
     {"order_id": "90114", "address": "12 Elm Street, Leeds"}, {"ok": True},
     "Done: order 90114 will be delivered to 12 Elm Street, Leeds."),
    ("Is the Trailblazer 2 tent in stock in green?", "check_stock", {"sku": "TB2-GRN"},
     {"sku": "TB2-GRN", "available": 0, "restock": "in 10 days"},
     "The green Trailblazer 2 is sold out; it should be back in about 10 days. Shall I notify you?"),
    ("Refund the shipping fee on order 77120, it arrived late.", "issue_refund",
     {"order_id": "77120", "amount": 5.95, "reason": "late delivery"}, {"refund_id": "rf_5521", "status": "issued"},
     "I've refunded the 5.95 shipping fee on order 77120 (refund rf_5521)."),
    ("Book a fitting appointment in the Bristol store on Saturday morning.", "book_appointment",
     {"store": "Bristol", "day": "Saturday", "slot": "10:00"}, {"confirmation": "BR-3391"},
     "You're booked for Saturday at 10:00 in Bristol. Confirmation BR-3391."),
    ("What's the status of my warranty claim WC-1042?", "lookup_claim", {"claim_id": "WC-1042"},
     {"status": "approved", "next": "replacement shipped"},
     "Claim WC-1042 was approved and your replacement has shipped."),
)

RAG_QUESTIONS = (
    ("What is the return window for sale items?",
     [("returns-policy.md", "Sale items can be returned within 14 days; full-price items within 30 days.", 0.91),
      ("faq-sale.md", "Final-sale items marked with a red tag cannot be returned.", 0.84)],
     "Sale items can be returned within 14 days, except final-sale items with a red tag."),
    ("How should I wash a down jacket?",
     [("care-down.md", "Machine wash cold on a gentle cycle with down soap; tumble dry low with dryer balls.", 0.93)],
     "Wash it cold on a gentle cycle with a down-specific soap, then tumble dry on low with dryer balls."),
    ("Do you price match?",
     [("price-match.md", "We match identical items from listed competitors within 7 days of purchase.", 0.88)],
     "Yes, for identical items from our listed competitors, within 7 days of your purchase."),
    ("Are your sleeping bags rated for -10°C?",
     [("catalog-sleeping.md", "Polar 900: comfort -5°C, limit -12°C. Summit 600: comfort 2°C.", 0.86)],
     "The Polar 900 has a -12°C limit rating (comfort -5°C); it's our warmest bag."),
    ("Can I pick up online orders in store?",
     [("click-collect.md", "Click & collect is available in all 14 stores, ready within 2 hours.", 0.9)],
     "Yes, click & collect works in all 14 stores and orders are usually ready within 2 hours."),
    ("What does the lifetime guarantee cover?",
     [("guarantee.md", "Covers manufacturing defects for the lifetime of the product; not wear and tear.", 0.89)],
     "It covers manufacturing defects for the product's lifetime, but not normal wear and tear."),
)

TOOLS: list[dict[str, Any]] = [{"type": "function", "function": {
    "name": name, "description": description,
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}} for name, description in (
    ("lookup_order", "Look up an order's status"), ("update_address", "Change a delivery address"),
    ("check_stock", "Check stock for a SKU"), ("issue_refund", "Refund part of an order"),
    ("book_appointment", "Book a store appointment"), ("lookup_claim", "Look up a warranty claim"))]


def build_traces(rng: random.Random, now: datetime) -> list[DemoTrace]:
    """The demo's traces, oldest first, each started within the last days before `now`."""
    traces: list[DemoTrace] = []
    customers = [f"customer-{n:04d}" for n in rng.sample(range(1, 9999), 18)]

    def new(kind: str, session: str | None = None) -> DemoTrace:
        start = now - timedelta(days=rng.uniform(0.05, 6.5))
        return DemoTrace(rng, kind, start.replace(microsecond=0), rng.choice(customers), session)

    for round_ in range(2):  # each chat twice: a first and a follow-up conversation
        for title, turns in SUPPORT_CHATS:
            session = f"session-{rng.randrange(10**6):06d}" if rng.random() < 0.6 else None
            trace = new("support", session)
            _support_chat(trace, title, turns if round_ == 0 else turns[:1], with_root=rng.random() < 0.8)
            traces.append(trace)
    for task in AGENT_TASKS:
        trace = new("agent")
        _agent_run(trace, *task)
        traces.append(trace)
    for question, docs, answer in RAG_QUESTIONS:
        trace = new("rag")
        _rag_answer(trace, question, docs, answer)
        traces.append(trace)
    for index in range(4):
        trace = new("error", f"session-err-{index}")
        _errored_call(trace, recovered=index >= 2)
        traces.append(trace)
    for _ in range(3):
        trace = new("long", f"session-long-{rng.randrange(1000)}")
        _long_chat(trace, turns=14 + rng.randrange(6))
        traces.append(trace)
    traces.sort(key=lambda t: t.start)
    return traces


def _support_chat(trace: DemoTrace, title: str, turns: list[tuple[str, str]], with_root: bool) -> None:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SUPPORT_PROMPT}]
    model = trace.rng.choice(("gpt-4o-mini", "gpt-4o-mini", "claude-3-5-sonnet"))
    for question, answer in turns:
        messages.append({"role": "user", "content": question})
        trace.generation(list(messages), {"role": "assistant", "content": answer}, model=model, name="support reply")
        messages.append({"role": "assistant", "content": answer})
    if with_root:
        trace.root(f"support chat: {title.lower()}", {"messages": messages[1:2]},
                   {"role": "assistant", "content": turns[-1][1]})


def _agent_run(trace: DemoTrace, request: str, tool: str, arguments: dict, result: dict, answer: str) -> None:
    agent = trace.span("agent", {"request": request}, {"answer": answer}, span_id=trace.new_id())
    trace.clock = 0.2
    plan = trace.span("plan", {"request": request, "tools": [t["function"]["name"] for t in TOOLS]},
                      {"next": tool}, parent=agent)
    call_id = f"call_{trace.rng.randrange(10**8):08d}"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are Northwind's order agent. Use tools; never guess."},
        {"role": "user", "content": request}]
    tool_call = {"id": call_id, "type": "function",
                 "function": {"name": tool, "arguments": _json(arguments)}}
    trace.generation(messages, {"role": "assistant", "content": None, "tool_calls": [tool_call]},
                     model="gpt-4o", parent=plan, name="choose tool", tools=TOOLS)
    trace.span(f"tool: {tool}", arguments, result, parent=agent)
    messages += [{"role": "assistant", "content": None, "tool_calls": [tool_call]},
                 {"role": "tool", "tool_call_id": call_id, "content": _json(result)}]
    trace.generation(messages, {"role": "assistant", "content": answer}, model="gpt-4o", parent=agent,
                     name="final answer", tools=TOOLS)
    trace.root("order agent", {"request": request}, {"answer": answer})


def _rag_answer(trace: DemoTrace, question: str, docs: list[tuple[str, str, float]], answer: str) -> None:
    retrieve = trace.span("retrieve", {"query": question, "top_k": 4},
                          [{"source": s, "text": t, "score": score} for s, t, score in docs])
    tokens = len(question) // 4 + 2
    trace.emit("$ai_embedding", 0.01, **{
        "$ai_span_id": trace.new_id(), "$ai_parent_id": retrieve, "$ai_span_name": "embed query",
        "$ai_model": "text-embedding-3-small", "$ai_provider": "openai", "$ai_input": question,
        "$ai_input_tokens": tokens, "$ai_input_cost_usd": round(tokens * 0.02 / 1e6, 10), "$ai_latency": 0.08,
    })
    context = "\n".join(f"[{s}] {t}" for s, t, _ in docs)
    trace.generation([{"role": "system", "content": f"Answer only from these documents:\n{context}"},
                      {"role": "user", "content": question}],
                     {"role": "assistant", "content": answer}, model="claude-3-5-sonnet", name="answer with context")
    trace.root("help center answer", question, answer)


def _errored_call(trace: DemoTrace, recovered: bool) -> None:
    question = trace.rng.choice(("Can I change my order after paying?", "Why was my card declined?",
                                 "Where is my nearest store?"))
    messages = [{"role": "system", "content": SUPPORT_PROMPT}, {"role": "user", "content": question}]
    trace.generation(messages, None, model="gpt-4o", name="support reply", status=500,
                     error="InternalServerError: 500 The server had an error while processing your request.")
    if recovered:
        trace.generation(messages, {"role": "assistant", "content": "Sorry for the delay! Yes: orders can be "
                                    "changed until they are packed, under Orders > Edit."},
                         model="gpt-4o-mini", name="support reply (fallback model)")
    # No root: the client crashed before sending it; the trace is still complete from its generations.


def _long_chat(trace: DemoTrace, turns: int) -> None:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SUPPORT_PROMPT}]
    gear = ["tent", "sleeping bag", "stove", "headlamp", "water filter", "trekking poles", "rain jacket",
            "boots", "backpack", "first-aid kit"]
    for turn in range(turns):
        item = gear[turn % len(gear)]
        question = f"For a 5-day trek in Scotland in October, which {item} would you recommend?"
        answer = (f"For October in Scotland, pick a {item} that copes with wind and rain. Our best-rated option "
                  f"is the {trace.rng.choice(('Highland', 'Cairn', 'Munro', 'Skye'))} {item}; it is light, "
                  f"durable and under budget.")
        messages.append({"role": "user", "content": question})
        trace.generation(list(messages[-9:]), {"role": "assistant", "content": answer}, name="trip planner")
        messages.append({"role": "assistant", "content": answer})
    trace.root("trip planning chat", {"goal": "Kit list for a 5-day Scottish trek"},
               "A complete kit list with one recommendation per item.")


def _json(value: Any) -> str:
    return json.dumps(value)
