"""Chat messages from the shapes different SDKs send, normalised to roles and parts."""
from reviewapp.services.conversation import conversation, input_messages, output_messages, pretty_json


def parts(message):
    return [(p.kind, p.text, p.name, p.call_id, p.json) for p in message.parts]


def test_plain_strings():
    [message] = input_messages("Tell me a joke")
    assert (message.role, parts(message)) == ("user", [("text", "Tell me a joke", None, None, None)])
    [answer] = output_messages("Why did the chicken…")
    assert (answer.role, answer.source) == ("assistant", "output")


def test_openai_chat_with_parts_images_and_tool_calls():
    messages = input_messages([
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "cat"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "lookup", "content": "not json at all"},
        {"role": "assistant", "function_call": {"name": "legacy", "arguments": "{}"}},
    ])
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert parts(messages[1]) == [("text", "What is in this picture?", None, None, None),
                                  ("image", "https://example.com/cat.png", None, None, None)]
    assert parts(messages[2]) == [("tool_call", "", "lookup", "c1", '{\n  "q": "cat"\n}')]
    assert parts(messages[3]) == [("tool_result", "not json at all", "lookup", "c1", None)]
    assert parts(messages[4]) == [("tool_call", "", "legacy", None, "{}")]


def test_openai_output_choices_and_posthog_content_parts():
    messages = output_messages([
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Calling"},
            {"type": "function", "id": "c2", "function": {"name": "f", "arguments": {"x": 1}}},
        ]},
    ])
    assert parts(messages[0]) == [("text", "Hello", None, None, None)]
    assert parts(messages[1]) == [("text", "Calling", None, None, None),
                                  ("tool_call", "", "f", "c2", '{\n  "x": 1\n}')]
    assert output_messages({"choices": [{"message": {"content": "wrapped"}}]})[0].parts[0].text == "wrapped"


def test_anthropic_tool_use_results_and_base64_images():
    messages = input_messages([
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR" * 1000}},
        ]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "tu1", "name": "search", "input": {"query": "weather"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "tu1", "content": [{"type": "text", "text": '{"ok": true}'}]}]},
    ])
    assert parts(messages[0]) == [("image", "data:image/png;base64,…", None, None, None)]
    assert parts(messages[1]) == [("tool_call", "", "search", "tu1", '{\n  "query": "weather"\n}')]
    assert parts(messages[2]) == [("tool_result", "", None, "tu1", '{\n  "ok": true\n}')]


def test_gemini_parts_responses_api_items_and_long_data_urls():
    messages = input_messages([
        {"role": "model", "parts": [{"text": "Hi from Gemini"}]},
        {"type": "function_call", "name": "get", "arguments": "{}", "call_id": "r1"},
        {"type": "function_call_output", "call_id": "r1", "output": "42"},
        {"role": "user", "content": [{"type": "input_image", "image_url": "data:image/jpeg;base64," + "A" * 500}]},
    ])
    assert [(m.role, m.parts[0].kind) for m in messages] == [
        ("assistant", "text"), ("assistant", "tool_call"), ("tool", "tool_result"), ("user", "image")]
    image = messages[3].parts[0].text
    assert image.startswith("data:image/jpeg;base64,AAAA") and image.endswith("(523 characters)")


def test_unknown_shapes_are_kept_as_data_not_dropped():
    messages = input_messages({"prompt_state": {"step": 3}})
    assert [(m.role, m.raw_role, m.parts[0].kind) for m in messages] == [("other", "unknown", "data")]
    assert '"step": 3' in messages[0].parts[0].json
    [odd] = input_messages([{"role": "narrator", "content": [{"type": "audio", "id": "a1"}]}])
    assert (odd.role, odd.raw_role, odd.parts[0].kind) == ("other", "narrator", "data")
    assert input_messages(None) == [] and output_messages(None) == []
    assert [m.parts[0].text for m in input_messages([42])] == ["42"]


def test_a_repeated_context_is_not_shown_twice():
    history = [{"role": "user", "content": "Hi"}]
    messages = conversation([
        ("g1", history, [{"role": "assistant", "content": "Hello"}]),
        ("g2", history, [{"role": "assistant", "content": "Hello again"}]),  # a retry with the same input
    ])
    assert [(m.role, m.parts[0].text, m.new_context) for m in messages] == [
        ("user", "Hi", False), ("assistant", "Hello", False), ("assistant", "Hello again", False)]
    assert [m.span_id for m in messages] == ["g1", "g1", "g2"]


def agent_generations(steps: int):
    """An agent of `steps` generations as PostHog's OpenAI wrapper logs it: each output in PostHog's own shape
    (a text part and a "function" part), and each next input re-sending the whole history in OpenAI's shape
    (the assistant's text dropped, the call under `tool_calls`), with the tool's result."""
    history = [{"role": "system", "content": "You are an agent."}, {"role": "user", "content": "Plan my trip."}]
    generations = []
    for n in range(steps):
        call = {"name": "search", "arguments": f'{{"step": {n}}}'}
        if n < steps - 1:
            output = [{"role": "assistant", "content": [
                {"type": "text", "text": f"Step {n}: searching."},
                {"type": "function", "id": f"call_{n}", "function": call}]}]
        else:
            output = [{"role": "assistant", "content": "Here is your plan."}]
        generations.append((f"g{n}", list(history), output, f"uuid-{n}"))
        history += [{"role": "assistant", "content": None,
                     "tool_calls": [{"id": f"call_{n}", "type": "function", "function": call}]},
                    {"role": "tool", "tool_call_id": f"call_{n}", "content": f'{{"found": {n}}}'}]
    return generations


def test_an_agent_of_19_generations_shows_each_message_once():
    messages = conversation(agent_generations(19))
    # system, user, then per step the assistant's call and the tool's result, and the final answer; it showed
    # 159 bubbles with 15 "new context" dividers, each call twice (once after its own result).
    assert len(messages) == 2 + 18 * 2 + 1
    assert not any(m.new_context for m in messages)
    calls = [p.call_id for m in messages for p in m.parts if p.kind == "tool_call"]
    results = [p.call_id for m in messages for p in m.parts if p.kind == "tool_result"]
    assert calls == results == [f"call_{n}" for n in range(18)]
    order = [(p.kind, p.call_id) for m in messages for p in m.parts if p.call_id]
    assert order == [(kind, f"call_{n}") for n in range(18) for kind in ("tool_call", "tool_result")]
    # The call is shown as the generation logged it, text included, and says where it came from.
    assert [(p.kind, p.text) for p in messages[2].parts][0] == ("text", "Step 0: searching.")
    assert (messages[2].source, messages[2].span_id, messages[2].event_uuid) == ("output", "g0", "uuid-0")
    assert messages[-1].parts[0].text == "Here is your plan."


def test_a_call_logged_after_its_result_moves_before_it():
    result = {"role": "tool", "tool_call_id": "c1", "content": "42"}
    call = {"role": "assistant", "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    messages = conversation([("g1", [{"role": "user", "content": "Q"}, result], [call])])
    assert [(m.role, m.parts[0].kind) for m in messages] == [
        ("user", "text"), ("assistant", "tool_call"), ("tool", "tool_result")]


def test_an_unrelated_input_still_starts_a_new_context():
    messages = conversation([
        ("g1", [{"role": "user", "content": "Hi"}], [{"role": "assistant", "content": "Hello"}]),
        ("g2", [{"role": "user", "content": "Translate this"}], [{"role": "assistant", "content": "Done"}]),
        ("g3", [{"role": "user", "content": "Translate this"}, {"role": "assistant", "content": "Done"},
                {"role": "user", "content": "Thanks"}], []),
    ])
    assert [(m.parts[0].text, m.new_context) for m in messages] == [
        ("Hi", False), ("Hello", False), ("Translate this", True), ("Done", False), ("Thanks", False)]


def test_json_nested_too_deep_to_indent_is_a_note_not_a_crash():
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    assert pretty_json(deep) == "(nested too deeply to show here)"
    assert pretty_json([[[1]]]).startswith("[\n  [")


def test_history_sent_again_is_normalised_once(monkeypatch):
    from reviewapp.services import conversation as module

    calls = []
    normalise = module.message
    monkeypatch.setattr(module, "message", lambda *args, **kwargs: calls.append(1) or normalise(*args, **kwargs))
    messages = conversation(agent_generations(50))
    assert len(messages) == 2 + 49 * 2 + 1
    # 100 distinct input messages and 50 outputs; normalising every input afresh took 2,550 calls (and a
    # 1,000-generation agent 19 s).
    assert len(calls) == 150


def test_otel_genai_messages_with_parts_read_as_text_calls_and_results():
    [user, assistant, tool] = input_messages([
        {"role": "user", "parts": [{"type": "text", "content": "Where is order 1234?"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"n": 1}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "Friday"}]},
    ])
    assert [(p.kind, p.text) for p in user.parts] == [("text", "Where is order 1234?")]
    assert [(p.kind, p.name, p.call_id) for p in assistant.parts] == [("tool_call", "lookup", "c1")]
    assert [(p.kind, p.text, p.call_id) for p in tool.parts] == [("tool_result", "Friday", "c1")]
