"""Chat messages from the shapes different SDKs send, normalised to roles and parts."""
from reviewapp.services.conversation import conversation, input_messages, output_messages


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
