"""Tests for toolft.data.formats: realistic rows of each public format -> exact canonical rows."""

import copy
import json
import random

import pytest

from toolft.data.formats import FORMATS, ConvertError, detect_format, to_canonical


def call(name, arguments, call_id=None):
    out = {"type": "function"}
    if call_id is not None:
        out["id"] = call_id
    out["function"] = {"name": name, "arguments": arguments}
    return out


def user(text):
    return {"role": "user", "content": text}


def say(text):
    return {"role": "assistant", "content": text}


def calls(*items, content=""):
    return {"role": "assistant", "content": content, "tool_calls": list(items)}


def result(content, name=None, call_id=None):
    msg = {"role": "tool"}
    if call_id is not None:
        msg["tool_call_id"] = call_id
    if name is not None:
        msg["name"] = name
    msg["content"] = content
    return msg


def fn_tool(name, description, parameters):
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


WEATHER_FN = {"name": "get_weather", "description": "Current weather for a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                              "unit": {"type": "string", "enum": ["c", "f"]}},
                             "required": ["city"]}}
TIME_FN = {"name": "get_time", "description": "Local time in a timezone",
           "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}}
WEATHER = {"type": "function", "function": WEATHER_FN}
TIME = {"type": "function", "function": TIME_FN}

# ------------------------------------------------------------------ openai

OPENAI = [
    (  # TRL on-disk form: tools as ONE JSON string; int row id; extra keys dropped
        {"id": 17, "kind": "single_call", "source": "synthetic-v2",
         "messages": [{"role": "system", "content": "You are a concise assistant."},
                      {"role": "user", "content": "Weather in Paris?"},
                      {"role": "assistant", "content": None, "tool_calls": [
                          {"type": "function", "id": "call_1", "index": 0,
                           "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                      {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": {"temp_c": 21}},
                      {"role": "assistant", "content": "21 °C in Paris.", "weight": 1}],
         "tools": json.dumps([WEATHER])},
        {"id": "17", "kind": "single_call",
         "messages": [{"role": "system", "content": "You are a concise assistant."}, user("Weather in Paris?"),
                      calls(call("get_weather", {"city": "Paris"}, "call_1")),
                      result('{"temp_c": 21}', "get_weather", "call_1"), say("21 °C in Paris.")],
         "tools": [WEATHER]},
    ),
    (  # parallel calls: bare {"name","arguments"} call, JSON-string and "" arguments, int ids, bare tools
        {"messages": [{"role": "user", "content": "Weather in Paris and the time in Tokyo?"},
                      {"role": "assistant", "content": None, "tool_calls": [
                          {"id": 1, "name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"c\"}"},
                          {"type": "function", "id": 2, "function": {"name": "get_time", "arguments": " "}}]},
                      {"role": "tool", "tool_call_id": 1, "content": "{\"temp_c\": 21}"},
                      {"role": "tool", "content": "09:00"},
                      {"role": "assistant", "content": "21 °C in Paris; 09:00 in Tokyo."}],
         "tools": [WEATHER_FN, TIME_FN]},
        {"messages": [user("Weather in Paris and the time in Tokyo?"),
                      calls(call("get_weather", {"city": "Paris", "unit": "c"}, "1"), call("get_time", {}, "2")),
                      result('{"temp_c": 21}', call_id="1"), result("09:00"),
                      say("21 °C in Paris; 09:00 in Tokyo.")],
         "tools": [WEATHER, TIME]},
    ),
    (  # null arguments, non-JSON / non-object argument strings kept as is, reasoning kept,
       # content parts joined, non-ASCII JSON result, tools null
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "Time in Tokyo?"},
                                                   {"type": "text", "text": "And Oslo weather."}]},
                      {"role": "assistant", "reasoning_content": "Two tools needed.", "tool_calls": [
                          {"type": "function", "function": {"name": "get_time", "arguments": None}},
                          {"type": "function", "function": {"name": "get_weather", "arguments": "city=Oslo"}},
                          {"type": "function", "function": {"name": "get_weather", "arguments": "[\"Oslo\"]"}}]},
                      {"role": "tool", "content": ["Tokyo", "東京"]},
                      {"role": "assistant", "content": "Done."}],
         "tools": None},
        {"messages": [user("Time in Tokyo?\nAnd Oslo weather."),
                      {"role": "assistant", "content": "", "tool_calls": [
                          call("get_time", {}), call("get_weather", "city=Oslo"), call("get_weather", '["Oslo"]')],
                       "reasoning_content": "Two tools needed."},
                      result('["Tokyo", "東京"]'), say("Done.")],
         "tools": []},
    ),
    (  # a clarifying question, no tools key; legacy function_call / role "function"
        {"kind": "clarification",
         "messages": [{"role": "user", "content": "What's the weather?"},
                      {"role": "assistant", "content": "Which city?"},
                      {"role": "user", "content": "Rome"},
                      {"role": "assistant", "content": None,
                       "function_call": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}},
                      {"role": "function", "name": "get_weather", "content": "{\"temp_c\": 25}"},
                      {"role": "assistant", "content": "25 °C in Rome."}]},
        {"kind": "clarification",
         "messages": [user("What's the weather?"), say("Which city?"), user("Rome"),
                      calls(call("get_weather", {"city": "Rome"})), result('{"temp_c": 25}', "get_weather"),
                      say("25 °C in Rome.")],
         "tools": []},
    ),
    (  # shapes that cannot be converted are passed through for the lint
        {"messages": ["hello", {"role": "assistant", "content": "Hi", "tool_calls": {"name": "f"}},
                      {"role": "narrator", "content": 3},
                      {"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image"}]}],
         "tools": [WEATHER_FN, 7]},
        {"messages": ["hello", {"role": "assistant", "content": "Hi", "tool_calls": {"name": "f"}},
                      {"role": "narrator", "content": 3},
                      {"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image"}]}],
         "tools": [WEATHER, 7]},
    ),
]

# ---------------------------------------------------- sharegpt / Hermes function calling

HERMES_PROTOCOL = (
    "You are a function calling AI model. You are provided with function signatures within <tools> </tools> "
    "XML tags. You may call one or more functions to assist with the user query. Don't make assumptions about "
    "what values to plug into functions.\n<tools>\n{tools}\n</tools>\nFor each function call return a json object "
    "with function name and arguments within <tool_call> </tool_call> tags with the following schema:\n"
    "<tool_call>\n{{'arguments': <args-dict>, 'name': <function-name>}}\n</tool_call>\n")
HERMES3_PROTOCOL = (
    "You are a function calling AI model. You are provided with function signatures within <tools></tools> XML "
    "tags. You may call one or more functions to assist with the user query. Don't make assumptions about what "
    "values to plug into functions. Here are the available tools: <tools>{tools}</tools> Use the following pydantic "
    "model json schema for each tool call you will make: {{\"properties\": {{\"arguments\": {{\"title\": \"Arguments\", "
    "\"type\": \"object\"}}, \"name\": {{\"title\": \"Name\", \"type\": \"string\"}}}}, \"required\": [\"arguments\", "
    "\"name\"], \"title\": \"FunctionCall\", \"type\": \"object\"}} For each function call return a json object with "
    "function name and arguments within <tool_call></tool_call> XML tags as follows:\n<tool_call>\n"
    "{{\"arguments\": <args-dict>, \"name\": <function-name>}}\n</tool_call>")
STOCK_FN = {"name": "get_stock_price", "description": "Get the current stock price",
            "parameters": {"type": "object", "properties": {"symbol": {"type": "string", "description": "Ticker"}},
                           "required": ["symbol"]}}
FLIGHTS_FN = {"name": "search_flights", "description": "Search flights",
              "parameters": {"type": "object", "properties": {"origin": {"type": "string"},
                                                              "destination": {"type": "string"},
                                                              "date": {"type": "string"}},
                             "required": ["origin", "destination", "date"]}}
BOOK_FN = {"name": "book_flight", "description": "Book a flight",
           "parameters": {"type": "object", "properties": {"flight_id": {"type": "string"},
                                                           "notes": {"type": "string"}},
                          "required": ["flight_id"]}}

SHAREGPT = [
    (  # Hermes: tools as a Python-literal list, parallel calls (one Python dict, one with string arguments),
       # two <tool_response> blocks in one tool turn; the system prompt is only protocol text -> dropped
        {"id": "85f6c398-69c7-4df2-aed1-29d614a93a26", "category": "Finance", "subcategory": "Stocks",
         "conversations": [
             {"from": "system",
              "value": HERMES_PROTOCOL.format(tools=repr([{"type": "function", "function": STOCK_FN}]))},
             {"from": "human", "value": "What are AAPL and MSFT trading at?"},
             {"from": "gpt", "value": "<tool_call>\n{'arguments': {'symbol': 'AAPL'}, 'name': 'get_stock_price'}\n"
                                      "</tool_call>\n<tool_call>\n{\"name\": \"get_stock_price\", "
                                      "\"arguments\": \"{\\\"symbol\\\": \\\"MSFT\\\"}\"}\n</tool_call>"},
             {"from": "tool", "value": "<tool_response>\n{\"name\": \"get_stock_price\", \"content\": "
                                       "{\"symbol\": \"AAPL\", \"price\": 189.5}}\n</tool_response>\n"
                                       "<tool_response>\n{\"symbol\": \"MSFT\", \"price\": 411.2}\n</tool_response>"},
             {"from": "gpt", "value": "AAPL is at $189.50 and MSFT at $411.20."}]},
        {"id": "85f6c398-69c7-4df2-aed1-29d614a93a26",
         "messages": [user("What are AAPL and MSFT trading at?"),
                      calls(call("get_stock_price", {"symbol": "AAPL"}), call("get_stock_price", {"symbol": "MSFT"})),
                      result('{"symbol": "AAPL", "price": 189.5}', "get_stock_price"),
                      result('{"symbol": "MSFT", "price": 411.2}', "get_stock_price"),
                      say("AAPL is at $189.50 and MSFT at $411.20.")],
         "tools": [{"type": "function", "function": STOCK_FN}]},
    ),
    (  # Hermes multi-turn: JSON tools one per line (wrapped and bare), a kept persona sentence, text + call,
       # "</tool_call>" inside a string argument, a tool turn without <tool_response> tags
        {"conversations": [
            {"from": "system", "value": "You are a helpful travel assistant for Acme Travel. " + HERMES_PROTOCOL.format(
                tools=json.dumps({"type": "function", "function": FLIGHTS_FN}) + "\n" + json.dumps(BOOK_FN))},
            {"from": "human", "value": "Find me a flight from Paris to Rome on 2024-06-01."},
            {"from": "gpt", "value": "Let me look that up.\n<tool_call>\n{\"name\": \"search_flights\", \"arguments\": "
                                     "{\"origin\": \"Paris\", \"destination\": \"Rome\", \"date\": \"2024-06-01\"}}\n"
                                     "</tool_call>"},
            {"from": "tool", "value": "<tool_response>\n{\"name\": \"search_flights\", \"content\": "
                                      "[{\"flight_id\": \"AF1204\", \"price_eur\": 129}]}\n</tool_response>"},
            {"from": "gpt", "value": "AF1204 costs 129 €. Shall I book it?"},
            {"from": "human", "value": "Yes, and note that I write </tool_call> in my emails."},
            {"from": "gpt", "value": "<tool_call>\n{\"name\": \"book_flight\", \"arguments\": {\"flight_id\": "
                                     "\"AF1204\", \"notes\": \"writes </tool_call> in emails\"}}\n</tool_call>"},
            {"from": "tool", "value": "Booking confirmed: ABC123"},
            {"from": "gpt", "value": "Booked! Your reference is ABC123."}]},
        {"messages": [{"role": "system", "content": "You are a helpful travel assistant for Acme Travel."},
                      user("Find me a flight from Paris to Rome on 2024-06-01."),
                      calls(call("search_flights", {"origin": "Paris", "destination": "Rome", "date": "2024-06-01"}),
                            content="Let me look that up."),
                      result('[{"flight_id": "AF1204", "price_eur": 129}]', "search_flights"),
                      say("AF1204 costs 129 €. Shall I book it?"),
                      user("Yes, and note that I write </tool_call> in my emails."),
                      calls(call("book_flight", {"flight_id": "AF1204", "notes": "writes </tool_call> in emails"})),
                      result("Booking confirmed: ABC123", "book_flight"),
                      say("Booked! Your reference is ABC123.")],
         "tools": [{"type": "function", "function": FLIGHTS_FN}, {"type": "function", "function": BOOK_FN}]},
    ),
    (  # older ShareGPT (LLaMA-Factory): top-level system and tools (JSON string), function_call / observation
       # turns; a list-valued function_call (parallel) answered by one list-valued observation
        {"system": "You are a helpful assistant who also explains Python functions.",
         "tools": json.dumps([WEATHER_FN, TIME_FN]),
         "conversations": [
             {"from": "human", "value": "How warm is it in Madrid?"},
             {"from": "function_call",
              "value": "{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Madrid\\\"}\"}"},
             {"from": "observation", "value": "{\"temp_c\": 30}"},
             {"from": "gpt", "value": "30 °C in Madrid."},
             {"from": "human", "value": "And Lisbon's weather and time?"},
             {"from": "function_call", "value": json.dumps([{"name": "get_weather", "arguments": {"city": "Lisbon"}},
                                                            {"name": "get_time", "arguments": {"tz": "Europe/Lisbon"}}])},
             {"from": "observation", "value": "[{\"temp_c\": 24}, \"14:05\"]"},
             {"from": "gpt", "value": "24 °C, and it is 14:05 in Lisbon."}]},
        {"messages": [{"role": "system", "content": "You are a helpful assistant who also explains Python functions."},
                      user("How warm is it in Madrid?"), calls(call("get_weather", {"city": "Madrid"})),
                      result('{"temp_c": 30}', "get_weather"), say("30 °C in Madrid."),
                      user("And Lisbon's weather and time?"),
                      calls(call("get_weather", {"city": "Lisbon"}), call("get_time", {"tz": "Europe/Lisbon"})),
                      result('{"temp_c": 24}', "get_weather"), result("14:05", "get_time"),
                      say("24 °C, and it is 14:05 in Lisbon.")],
         "tools": [WEATHER, TIME]},
    ),
    (  # Hermes 3 prompt: concatenated JSON tools in one line, a persona kept, {"content": ...} response
        {"conversations": [
            {"from": "system", "value": "You are Ava, a support agent for Contoso.\n\n" + HERMES3_PROTOCOL.format(
                tools=json.dumps(WEATHER) + json.dumps(TIME))},
            {"from": "human", "value": "Is it cold in Helsinki?"},
            {"from": "gpt", "value": "<tool_call>\n{\"arguments\": {\"city\": \"Helsinki\"}, \"name\": \"get_weather\"}\n"
                                     "</tool_call>"},
            {"from": "tool", "value": "<tool_response>\n{\"content\": {\"temp_c\": -8}}\n</tool_response>"},
            {"from": "gpt", "value": "Yes: -8 °C."}]},
        {"messages": [{"role": "system", "content": "You are Ava, a support agent for Contoso."},
                      user("Is it cold in Helsinki?"), calls(call("get_weather", {"city": "Helsinki"})),
                      result('{"temp_c": -8}', "get_weather"), say("Yes: -8 °C.")],
         "tools": [WEATHER, TIME]},
    ),
    (  # one <tool_call> block holding a JSON list of calls; a Python-dict and a JSON-string <tool_response>
        {"conversations": [
            {"from": "system", "value": HERMES_PROTOCOL.format(tools=json.dumps([WEATHER, TIME]))},
            {"from": "human", "value": "Weather and time in Lisbon?"},
            {"from": "gpt", "value": "<tool_call>\n[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lisbon\"}}, "
                                     "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Europe/Lisbon\"}}]\n</tool_call>"},
            {"from": "tool", "value": "<tool_response>\n{'temp_c': 24, 'sky': 'clear'}\n</tool_response>\n"
                                      "<tool_response>\n\"14:05\"\n</tool_response>"},
            {"from": "gpt", "value": "24 °C and clear; it is 14:05."}]},
        {"messages": [user("Weather and time in Lisbon?"),
                      calls(call("get_weather", {"city": "Lisbon"}), call("get_time", {"tz": "Europe/Lisbon"})),
                      result('{"temp_c": 24, "sky": "clear"}', "get_weather"), result("14:05", "get_time"),
                      say("24 °C and clear; it is 14:05.")],
         "tools": [WEATHER, TIME]},
    ),
    (  # Hermes refusal, no call; kind kept; user/assistant speaker names
        {"kind": "refusal", "conversations": [
            {"from": "system", "value": HERMES_PROTOCOL.format(tools=json.dumps([WEATHER_FN]))},
            {"from": "user", "value": "Delete all files on my laptop."},
            {"from": "assistant", "value": "I can't help with that: I only have a weather tool."}]},
        {"kind": "refusal",
         "messages": [user("Delete all files on my laptop."), say("I can't help with that: I only have a weather tool.")],
         "tools": [WEATHER]},
    ),
]

# -------------------------------------------------------------------- xlam

XLAM_TOOLS = [
    {"name": "live_giveaways_by_type", "description": "Retrieve live giveaways from the GamerPower API.",
     "parameters": {"type": {"description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
                             "type": "str", "default": "game"}}},
    {"name": "find_top_k", "description": "Finds the k largest numbers.",
     "parameters": {"nums": {"description": "The numbers.", "type": "List[int]"},
                    "k": {"description": "How many.", "type": "int, optional", "default": 3}}},
]
XLAM_TOOLS_CANONICAL = [
    fn_tool("live_giveaways_by_type", "Retrieve live giveaways from the GamerPower API.",
            {"type": "object", "properties": {"type": {
                "type": "string", "description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
                "default": "game"}}, "required": ["type"]}),
    fn_tool("find_top_k", "Finds the k largest numbers.",
            {"type": "object", "properties": {
                "nums": {"type": "array", "items": {"type": "integer"}, "description": "The numbers."},
                "k": {"type": "integer", "description": "How many.", "default": 3}},
             "required": ["nums"]}),
]
TYPES_TOOL = {"name": "all_types", "description": "Every Python-style type xLAM uses.", "parameters": {
    "s": {"description": "d", "type": "str"}, "f": {"description": "d", "type": "float"},
    "b": {"description": "d", "type": "bool, optional", "default": False},
    "l": {"description": "d", "type": "list"}, "d": {"description": "d", "type": "dict"},
    "grid": {"description": "d", "type": "List[List[int]]"}, "tags": {"description": "d", "type": "List[str]"},
    "meta": {"description": "d", "type": "Dict[str, Any]"}, "point": {"description": "d", "type": "Tuple[int, int]"},
    "uniq": {"description": "d", "type": "Set[str]"}, "anything": {"description": "d", "type": "Any"},
    "fn": {"description": "d", "type": "Callable[[float], float]"},
    "maybe": {"description": "d", "type": "Optional[int]"},
    "num": {"description": "d", "type": "Union[int, float]"},
    "weird": {"description": "d", "type": "np.ndarray"}}}
TYPES_SCHEMA = {"type": "object", "properties": {
    "s": {"type": "string", "description": "d"}, "f": {"type": "number", "description": "d"},
    "b": {"type": "boolean", "description": "d", "default": False},
    "l": {"type": "array", "description": "d"}, "d": {"type": "object", "description": "d"},
    "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}, "description": "d"},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "d"},
    "meta": {"type": "object", "description": "d"}, "point": {"type": "array", "items": {"type": "integer"},
                                                              "description": "d"},
    "uniq": {"type": "array", "items": {"type": "string"}, "description": "d"},
    "anything": {"description": "d"}, "fn": {"description": "d"},
    "maybe": {"type": "integer", "description": "d"},
    "num": {"type": ["integer", "number"], "description": "d"},
    "weird": {"description": "d"}},
    "required": ["s", "f", "l", "d", "grid", "tags", "meta", "point", "uniq", "anything", "fn", "num", "weird"]}

XLAM = [
    (  # one answer; everything JSON strings as on the Hub
        {"id": 0, "query": "Where can I find live giveaways for beta access?",
         "answers": json.dumps([{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}}]),
         "tools": json.dumps(XLAM_TOOLS)},
        {"id": "0", "messages": [user("Where can I find live giveaways for beta access?"),
                                 calls(call("live_giveaways_by_type", {"type": "beta"}))],
         "tools": XLAM_TOOLS_CANONICAL},
    ),
    (  # several answers = one assistant turn with parallel calls
        {"id": 9, "query": "Top 2 of [5, 1, 9] and the live loot giveaways.",
         "answers": json.dumps([{"name": "find_top_k", "arguments": {"nums": [5, 1, 9], "k": 2}},
                                {"name": "live_giveaways_by_type", "arguments": {"type": "loot"}}]),
         "tools": json.dumps(XLAM_TOOLS)},
        {"id": "9", "messages": [user("Top 2 of [5, 1, 9] and the live loot giveaways."),
                                 calls(call("find_top_k", {"nums": [5, 1, 9], "k": 2}),
                                       call("live_giveaways_by_type", {"type": "loot"}))],
         "tools": XLAM_TOOLS_CANONICAL},
    ),
    (  # already-decoded lists; arguments as a JSON string; every Python-style type
        {"query": "Try all the types.", "tools": [TYPES_TOOL],
         "answers": [{"name": "all_types", "arguments": "{\"s\": \"x\", \"num\": 1.5}"}]},
        {"messages": [user("Try all the types."), calls(call("all_types", {"s": "x", "num": 1.5}))],
         "tools": [fn_tool("all_types", "Every Python-style type xLAM uses.", TYPES_SCHEMA)]},
    ),
]

# ------------------------------------------------------------------ glaive

NEWS_FN = {"name": "get_news_headlines", "description": "Get the latest news headlines",
           "parameters": {"type": "object", "properties": {"country": {
               "type": "string", "description": "The country for which headlines are needed"}},
                          "required": ["country"]}}
TIP_FN = {"name": "calculate_tip", "description": "Calculate the tip amount",
          "parameters": {"type": "object", "properties": {"bill_amount": {"type": "number"},
                                                          "tip_percentage": {"type": "number"}},
                         "required": ["bill_amount", "tip_percentage"]}}
MESSAGE_FN = {"name": "send_message", "description": "Send a text message",
              "parameters": {"type": "object", "properties": {"recipient": {"type": "string"},
                                                              "message": {"type": "string"}},
                             "required": ["recipient", "message"]}}
GLAIVE_ACCESS = "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\n"

GLAIVE = [
    (  # the dataset's commonest shape: one function, one call, a response, an answer
        {"system": GLAIVE_ACCESS + json.dumps(NEWS_FN, indent=4) + "\n",
         "chat": "USER: Can you tell me the latest news headlines for the United States?\n\n\n"
                 "ASSISTANT: <functioncall> {\"name\": \"get_news_headlines\", \"arguments\": "
                 "'{\"country\": \"United States\"}'} <|endoftext|>\n\n\n"
                 "FUNCTION RESPONSE: {\"headlines\": [\"Biden announces new vaccine mandates\", "
                 "\"Hurricane Ida devastates Louisiana\"]}\n\n\n"
                 "ASSISTANT: Here are the latest news headlines for the United States:\n"
                 "1. Biden announces new vaccine mandates\n2. Hurricane Ida devastates Louisiana <|endoftext|>\n\n\n"},
        {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                      user("Can you tell me the latest news headlines for the United States?"),
                      calls(call("get_news_headlines", {"country": "United States"})),
                      result('{"headlines": ["Biden announces new vaccine mandates", '
                             '"Hurricane Ida devastates Louisiana"]}', "get_news_headlines"),
                      say("Here are the latest news headlines for the United States:\n"
                          "1. Biden announces new vaccine mandates\n2. Hurricane Ida devastates Louisiana")],
         "tools": [{"type": "function", "function": NEWS_FN}]},
    ),
    (  # two functions; apostrophes inside the single-quoted arguments; two calls in a multi-turn chat
        {"system": GLAIVE_ACCESS + json.dumps(MESSAGE_FN, indent=4) + "\n\n" + json.dumps(TIP_FN, indent=4) + "\n",
         "chat": "USER: Text Sam: let's meet at 5 o'clock.\n\n\n"
                 "ASSISTANT: <functioncall> {\"name\": \"send_message\", \"arguments\": "
                 "'{\"recipient\": \"Sam\", \"message\": \"Let's meet at 5 o'clock.\"}'} <|endoftext|>\n\n\n"
                 "FUNCTION RESPONSE: {\"status\": \"sent\"}\n\n\n"
                 "ASSISTANT: Your message to Sam has been sent. <|endoftext|>\n\n\n"
                 "USER: Also, what's a 15% tip on $50?\n\n\n"
                 "ASSISTANT: <functioncall> {\"name\": \"calculate_tip\", \"arguments\": "
                 "'{\"bill_amount\": 50, \"tip_percentage\": 15}'} <|endoftext|>\n\n\n"
                 "FUNCTION RESPONSE: {\"tip_amount\": 7.5}\n\n\n"
                 "ASSISTANT: A 15% tip on $50 is $7.50. <|endoftext|>\n\n\n"},
        {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                      user("Text Sam: let's meet at 5 o'clock."),
                      calls(call("send_message", {"recipient": "Sam", "message": "Let's meet at 5 o'clock."})),
                      result('{"status": "sent"}', "send_message"), say("Your message to Sam has been sent."),
                      user("Also, what's a 15% tip on $50?"),
                      calls(call("calculate_tip", {"bill_amount": 50, "tip_percentage": 15})),
                      result('{"tip_amount": 7.5}', "calculate_tip"), say("A 15% tip on $50 is $7.50.")],
         "tools": [{"type": "function", "function": MESSAGE_FN}, {"type": "function", "function": TIP_FN}]},
    ),
    (  # no functions: the system prompt is kept as written
        {"system": "SYSTEM: You are a helpful assistant, with no access to external functions.",
         "chat": "USER: Can you order a pizza for me?\n\n\n"
                 "ASSISTANT: I'm sorry, but I can't place orders. <|endoftext|>\n\n\n"},
        {"messages": [{"role": "system", "content": "You are a helpful assistant, with no access to external functions."},
                      user("Can you order a pizza for me?"), say("I'm sorry, but I can't place orders.")],
         "tools": []},
    ),
    (  # text before <functioncall>, arguments already a JSON object, a one-line function listing
        {"system": GLAIVE_ACCESS + json.dumps(NEWS_FN),
         "chat": "USER: News from France?\n\n\nASSISTANT: Sure, let me check. <functioncall> "
                 "{\"name\": \"get_news_headlines\", \"arguments\": {\"country\": \"France\"}} <|endoftext|>"},
        {"messages": [{"role": "system", "content": "You are a helpful assistant."}, user("News from France?"),
                      calls(call("get_news_headlines", {"country": "France"}), content="Sure, let me check.")],
         "tools": [{"type": "function", "function": NEWS_FN}]},
    ),
]

# ----------------------------------------------------------------- toolace

TOOLACE_TOOLS = [
    {"name": "Market Trends API", "description": "Get the latest market trends.",
     "parameters": {"type": "dict", "properties": {
         "trend_type": {"description": "Trend type.", "type": "string"},
         "country": {"description": "Country code.", "type": "string", "default": "us"}},
                    "required": ["trend_type"]}, "required": None},
    {"name": "get_weather", "description": "Weather forecast for a city.",
     "parameters": {"type": "dict", "properties": {
         "city": {"type": "str"}, "days": {"type": "int"}, "ratio": {"type": "float"},
         "options": {"type": "dict", "properties": {"hourly": {"type": "bool"},
                                                    "fields": {"type": "list", "items": {"type": "str"}}}}},
                    "required": ["city"]}},
]
TOOLACE_CANONICAL_TOOLS = [
    fn_tool("Market Trends API", "Get the latest market trends.",
            {"type": "object", "properties": {
                "trend_type": {"description": "Trend type.", "type": "string"},
                "country": {"description": "Country code.", "type": "string", "default": "us"}},
             "required": ["trend_type"]}),
    fn_tool("get_weather", "Weather forecast for a city.",
            {"type": "object", "properties": {
                "city": {"type": "string"}, "days": {"type": "integer"}, "ratio": {"type": "number"},
                "options": {"type": "object", "properties": {"hourly": {"type": "boolean"},
                                                             "fields": {"type": "array", "items": {"type": "string"}}}}},
             "required": ["city"]}),
]
TOOLACE_SYSTEM = (
    "You are an expert in composing functions. You are given a question and a set of possible functions. \n"
    "Based on the question, you will need to make one or more function/tool calls to achieve the purpose. \n"
    "If none of the function can be used, point it out. If the given question lacks the parameters required by "
    "the function,\nalso point it out. You should only return the function call in tools call sections.\n"
    "Here is a list of functions in JSON format that you can invoke:\n" + json.dumps(TOOLACE_TOOLS) + ". \n"
    "Should you decide to return the function call(s). \nPut it in the format of "
    "[func1(params_name=params_value, params_name2=params_value2...), func2(params)]\n\n"
    "NO other text MUST be included. \n")

TOOLACE = [
    (  # one call with a nested dict and True; results list -> one tool message
        {"system": TOOLACE_SYSTEM, "conversations": [
            {"from": "user", "value": "Hourly weather in Paris for 3 days, temperature and rain please."},
            {"from": "assistant", "value": "[get_weather(city=\"Paris\", days=3, options={\"hourly\": True, "
                                           "\"fields\": [\"temp\", \"rain\"]})]"},
            {"from": "tool", "value": "[{\"name\": \"get_weather\", \"results\": {\"forecast\": "
                                      "[{\"day\": 1, \"temp_c\": 21, \"rain_mm\": 0}]}}]"},
            {"from": "assistant", "value": "Day 1: 21 °C and dry."}]},
        {"messages": [user("Hourly weather in Paris for 3 days, temperature and rain please."),
                      calls(call("get_weather", {"city": "Paris", "days": 3,
                                                 "options": {"hourly": True, "fields": ["temp", "rain"]}})),
                      result('{"forecast": [{"day": 1, "temp_c": 21, "rain_mm": 0}]}', "get_weather"),
                      say("Day 1: 21 °C and dry.")],
         "tools": TOOLACE_CANONICAL_TOOLS},
    ),
    (  # parallel calls, a tool name with spaces, None / negative / float values, two results
        {"system": TOOLACE_SYSTEM, "conversations": [
            {"from": "user", "value": "Market index trends in the US, and Zürich weather today."},
            {"from": "assistant", "value": "[Market Trends API(trend_type='MARKET_INDEXES', country='us'), "
                                           "get_weather(city=\"Zürich\", days=-1, ratio=0.5, options=None)]"},
            {"from": "tool", "value": "[{\"name\": \"Market Trends API\", \"results\": {\"indexes\": "
                                      "[\"S&P 500\"]}}, {\"name\": \"get_weather\", \"results\": \"sunny\"}]"},
            {"from": "assistant", "value": "The S&P 500 leads; Zürich is sunny."}]},
        {"messages": [user("Market index trends in the US, and Zürich weather today."),
                      calls(call("Market Trends API", {"trend_type": "MARKET_INDEXES", "country": "us"}),
                            call("get_weather", {"city": "Zürich", "days": -1, "ratio": 0.5, "options": None})),
                      result('{"indexes": ["S&P 500"]}', "Market Trends API"), result("sunny", "get_weather"),
                      say("The S&P 500 leads; Zürich is sunny.")],
         "tools": TOOLACE_CANONICAL_TOOLS},
    ),
    (  # clarification first, then a call; a meaningful system sentence is kept
        {"system": TOOLACE_SYSTEM + "The current time is 2024-05-01 09:00:00.", "conversations": [
            {"from": "user", "value": "What's the weather like?"},
            {"from": "assistant", "value": "Which city would you like the weather for?"},
            {"from": "user", "value": "Lyon"},
            {"from": "assistant", "value": "[get_weather(city='Lyon')]"}]},
        {"messages": [{"role": "system", "content": "The current time is 2024-05-01 09:00:00."},
                      user("What's the weather like?"), say("Which city would you like the weather for?"),
                      user("Lyon"), calls(call("get_weather", {"city": "Lyon"}))],
         "tools": TOOLACE_CANONICAL_TOOLS},
    ),
]

# --------------------------------------------------------------------- mcp

SEARCH_SCHEMA = {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "default": 5}},
                 "required": ["query"]}
READ_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}

MCP = [
    (  # tools as a JSON-RPC tools/list response; a JSON-RPC tools/call request in tool_calls;
       # the result as a JSON-RPC response wrapping a CallToolResult
        {"messages": [{"role": "user", "content": "How do I rotate API keys?"},
                      {"role": "assistant", "content": None, "tool_calls": [
                          {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                           "params": {"name": "search_docs", "arguments": {"query": "rotate API keys", "limit": 3}}}]},
                      {"role": "tool", "content": {"jsonrpc": "2.0", "id": 7, "result": {
                          "content": [{"type": "text", "text": "Settings > API keys > Rotate."}], "isError": False}}},
                      {"role": "assistant", "content": "Go to Settings > API keys and click Rotate."}],
         "tools": {"jsonrpc": "2.0", "id": 1, "result": {"tools": [
             {"name": "search_docs", "title": "Search docs", "description": "Full-text search of the docs",
              "inputSchema": SEARCH_SCHEMA, "annotations": {"readOnlyHint": True}}]}}},
        {"messages": [user("How do I rotate API keys?"),
                      calls(call("search_docs", {"query": "rotate API keys", "limit": 3}, "7")),
                      result("Settings > API keys > Rotate.", call_id="7"),
                      say("Go to Settings > API keys and click Rotate.")],
         "tools": [fn_tool("search_docs", "Full-text search of the docs", SEARCH_SCHEMA)]},
    ),
    (  # the request as the assistant content string; a CallToolResult as a JSON string with two text parts
        {"messages": [{"role": "user", "content": "Show me notes.txt"},
                      {"role": "assistant", "content": json.dumps({"jsonrpc": "2.0", "id": "req-2", "method": "tools/call",
                                                                    "params": {"name": "read_file",
                                                                               "arguments": {"path": "notes.txt"}}})},
                      {"role": "tool", "tool_call_id": "req-2", "content": json.dumps(
                          {"content": [{"type": "text", "text": "line 1"}, {"type": "text", "text": "line 2"}],
                           "isError": False})},
                      {"role": "assistant", "content": "notes.txt has two lines."}],
         "tools": [{"name": "read_file", "description": "Read a file", "inputSchema": READ_SCHEMA}]},
        {"messages": [user("Show me notes.txt"), calls(call("read_file", {"path": "notes.txt"}, "req-2")),
                      result("line 1\nline 2", call_id="req-2"), say("notes.txt has two lines.")],
         "tools": [fn_tool("read_file", "Read a file", READ_SCHEMA)]},
    ),
    (  # OpenAI-style calls, MCP tools (inputSchema) and results: a JSON-RPC error and an isError result
        {"messages": [{"role": "user", "content": "Read a.txt and b.txt"},
                      {"role": "assistant", "content": "", "tool_calls": [
                          {"type": "function", "id": 3, "function": {"name": "read_file", "arguments": {"path": "a.txt"}}},
                          {"type": "function", "id": 4, "function": {"name": "read_file", "arguments": {"path": "b.txt"}}}]},
                      {"role": "tool", "content": {"jsonrpc": "2.0", "id": 3,
                                                   "error": {"code": -32602, "message": "Unknown tool: read_file"}}},
                      {"role": "tool", "tool_call_id": 4, "content": {
                          "content": [{"type": "text", "text": "b.txt: permission denied"}], "isError": True}},
                      {"role": "assistant", "content": "I could not read either file."}],
         "tools": json.dumps([{"name": "read_file", "description": "Read a file", "inputSchema": READ_SCHEMA}])},
        {"messages": [user("Read a.txt and b.txt"),
                      calls(call("read_file", {"path": "a.txt"}, "3"), call("read_file", {"path": "b.txt"}, "4")),
                      result("Error: Unknown tool: read_file", call_id="3"),
                      result("b.txt: permission denied", call_id="4"), say("I could not read either file.")],
         "tools": [fn_tool("read_file", "Read a file", READ_SCHEMA)]},
    ),
]

MCP.append((  # a CallToolResult's content list given directly: text, an embedded text resource, an image
    {"messages": [{"role": "user", "content": "Open the report"},
                  {"role": "assistant", "tool_calls": [{"jsonrpc": "2.0", "id": 11, "method": "tools/call",
                                                        "params": {"name": "read_file", "arguments": None}}]},
                  {"role": "tool", "tool_call_id": 11, "content": [
                      {"type": "text", "text": "Report:"},
                      {"type": "resource", "resource": {"uri": "file:///r.md", "text": "# Q3\nUp 4%"}},
                      {"type": "image", "data": "iVBORw0K", "mimeType": "image/png"}]}],
     "tools": [{"name": "read_file", "inputSchema": READ_SCHEMA}]},
    {"messages": [user("Open the report"), calls(call("read_file", {}, "11")),
                  result('Report:\n# Q3\nUp 4%\n{"type": "image", "data": "iVBORw0K", "mimeType": "image/png"}',
                         call_id="11")],
     "tools": [{"type": "function", "function": {"name": "read_file", "parameters": READ_SCHEMA}}]},
))

# ------------------------------------------------------------------ simple

ADD_SCHEMA = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}

SIMPLE = [
    (  # {"tool": ..., "arguments": ...} items in tool_calls; bare tools
        {"messages": [{"role": "user", "content": "Weather in Oslo?"},
                      {"role": "assistant", "tool_calls": [{"tool": "get_weather", "arguments": {"city": "Oslo"}}]},
                      {"role": "tool", "name": "get_weather", "content": "{\"temp_c\": 4}"},
                      {"role": "assistant", "content": "4 °C in Oslo."}],
         "tools": [WEATHER_FN]},
        {"messages": [user("Weather in Oslo?"), calls(call("get_weather", {"city": "Oslo"})),
                      result('{"temp_c": 4}', "get_weather"), say("4 °C in Oslo.")],
         "tools": [WEATHER]},
    ),
    (  # a JSON array of calls as the assistant content (parallel); MCP-style tools; number results
        {"messages": [{"role": "user", "content": "2+3 and 4*5?"},
                      {"role": "assistant", "content": "[{\"tool\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}, "
                                                       "{\"tool\": \"multiply\", \"arguments\": {\"a\": 4, \"b\": 5}}]"},
                      {"role": "tool", "name": "add", "content": 5},
                      {"role": "tool", "name": "multiply", "content": 20},
                      {"role": "assistant", "content": "2+3 = 5 and 4*5 = 20."}],
         "tools": [{"name": "add", "description": "Add", "inputSchema": ADD_SCHEMA},
                   {"name": "multiply", "description": "Multiply", "inputSchema": ADD_SCHEMA}]},
        {"messages": [user("2+3 and 4*5?"), calls(call("add", {"a": 2, "b": 3}), call("multiply", {"a": 4, "b": 5})),
                      result("5", "add"), result("20", "multiply"), say("2+3 = 5 and 4*5 = 20.")],
         "tools": [fn_tool("add", "Add", ADD_SCHEMA), fn_tool("multiply", "Multiply", ADD_SCHEMA)]},
    ),
    (  # one JSON object as the content, arguments as a JSON string, with an id; no tools
        {"id": "s-3", "messages": [{"role": "user", "content": "Time in UTC?"},
                                   {"role": "assistant", "content": " {\"tool\": \"get_time\", \"arguments\": "
                                                                    "\"{\\\"tz\\\": \\\"UTC\\\"}\", \"id\": \"t1\"}\n"},
                                   {"role": "tool", "tool_call_id": "t1", "content": "12:00"},
                                   {"role": "assistant", "content": "It is 12:00 UTC."}]},
        {"id": "s-3", "messages": [user("Time in UTC?"), calls(call("get_time", {"tz": "UTC"}, "t1")),
                                   result("12:00", call_id="t1"), say("It is 12:00 UTC.")],
         "tools": []},
    ),
]

CASES = ([("openai", s, e) for s, e in OPENAI] + [("sharegpt", s, e) for s, e in SHAREGPT]
         + [("xlam", s, e) for s, e in XLAM] + [("glaive", s, e) for s, e in GLAIVE]
         + [("toolace", s, e) for s, e in TOOLACE] + [("mcp", s, e) for s, e in MCP]
         + [("simple", s, e) for s, e in SIMPLE])
CASE_IDS = [f"{fmt}-{i}" for fmt in FORMATS for i in range(sum(1 for f, _, _ in CASES if f == fmt))]
CASES.sort(key=lambda case: FORMATS.index(case[0]))


def _containers(value, out):
    if isinstance(value, (dict, list)):
        out.add(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, out)
    return out


@pytest.mark.parametrize("fmt,source,expected", CASES, ids=CASE_IDS)
def test_row_converts_to_the_exact_canonical_row(fmt, source, expected):
    before = copy.deepcopy(source)
    assert detect_format(source) == fmt
    assert to_canonical(source) == (expected, fmt)
    assert to_canonical(source, fmt) == (expected, fmt)
    assert source == before  # the input row is never modified


@pytest.mark.parametrize("fmt,source,expected", CASES, ids=CASE_IDS)
def test_canonical_row_shares_no_object_with_the_source(fmt, source, expected):
    canonical, _ = to_canonical(source)
    assert not _containers(canonical, set()) & _containers(source, set())


def test_every_format_has_several_rows():
    counts = {fmt: sum(1 for f, _, _ in CASES if f == fmt) for fmt in FORMATS}
    assert all(n >= 3 for n in counts.values()), counts


# --------------------------------------------------------------- detection

@pytest.mark.parametrize("row,fmt", [
    ({"messages": []}, "openai"),
    ({"messages": "not a list"}, "openai"),
    ({"messages": [{"role": "user", "content": "x"}], "tools": '[{"name": "f", "inputSchema": {}}]'}, "mcp"),
    ({"messages": [{"role": "assistant", "content": '{"tool": "f", "arguments": {}}'}],
      "tools": [{"name": "f", "inputSchema": {}}]}, "simple"),  # "tool" calls win over MCP-style tools
    ({"messages": [{"role": "assistant", "content": '{"tool": "is a word here", "x": 1} but text'}]}, "openai"),
    ({"conversations": [{"from": "user", "value": "Hi"}]}, "sharegpt"),
    ({"conversations": [{"from": "user", "value": "Hi"}], "system": "Be brief. <tools>[]</tools>"}, "sharegpt"),
    ({"conversations": [{"from": "user", "value": "Hi"}, {"from": "assistant", "value": "[f(a=1)]"}],
      "system": "Use the tools."}, "toolace"),
    ({"conversations": [{"from": "user", "value": "Hi"}], "system": "Functions: [{\"name\": \"f\"}]"}, "toolace"),
    ({"conversations": "oops", "system": "x"}, "sharegpt"),
    ({"query": "q", "answers": []}, "xlam"),
    ({"chat": "USER: hi"}, "glaive"),
    ({"text": "USER: hi"}, None),
    ({}, None),
    (["messages"], None),
    ("a row", None),
])
def test_detect_format(row, fmt):
    assert detect_format(row) == fmt


# ------------------------------------------------------------------ errors

HERMES_SYS = HERMES_PROTOCOL.format(tools=json.dumps([WEATHER_FN]))
GOOD_GLAIVE_SYSTEM = GLAIVE_ACCESS + json.dumps(NEWS_FN, indent=4)

ERRORS = [
    ("openai-messages-not-list", {"messages": {"role": "user", "content": "Hi"}}, None,
     "messages", "must be a list of messages, got object"),
    ("openai-messages-missing", {"tools": []}, "openai", "messages", "is missing"),
    ("openai-tools-bad-json", {"messages": [], "tools": '[{"name": "f",'}, None,
     "tools", "is a string but not valid JSON"),
    ("sharegpt-conversations-not-list", {"conversations": "human: hi"}, None,
     "conversations", "must be a list of turns, got string"),
    ("sharegpt-unknown-from", {"conversations": [{"from": "human", "value": "Hi"}, {"from": "narrator", "value": "x"}]},
     None, "conversations[1].from", "unknown speaker 'narrator'"),
    ("sharegpt-turn-not-object", {"conversations": [{"from": "human", "value": "Hi"}, "gpt: hello"]}, None,
     "conversations[1]", 'must be an object with "from" and "value", got string'),
    ("sharegpt-value-not-string", {"conversations": [{"from": "human", "value": 42}]}, None,
     "conversations[0].value", "must be a string, got number"),
    ("sharegpt-bad-tool-call", {"conversations": [
        {"from": "human", "value": "Weather?"},
        {"from": "gpt", "value": "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": }\n</tool_call>"}]},
     None, "conversations[1].value", "<tool_call> block 1 is not valid JSON"),
    ("sharegpt-tool-call-not-object", {"conversations": [
        {"from": "human", "value": "Weather?"}, {"from": "gpt", "value": "<tool_call>\n\"get_weather\"\n</tool_call>"}]},
     None, "conversations[1].value",
     "<tool_call> block 1 must be a {\"name\": ..., \"arguments\": {...}} object, got string"),
    ("sharegpt-bad-tools-block", {"conversations": [
        {"from": "system", "value": "<tools>\n[{\"name\": \"get_weather\",\n</tools>"}, {"from": "human", "value": "Hi"}]},
     None, "conversations[0].value", "the <tools> block is not valid JSON"),
    ("sharegpt-bad-function-call", {"tools": "[]", "conversations": [
        {"from": "human", "value": "Weather?"}, {"from": "function_call", "value": "get_weather(city='Paris')"}]},
     None, "conversations[1].value", "function_call value is not valid JSON"),
    ("xlam-answers-not-json", {"query": "Sum 2 and 3", "tools": "[]", "answers": "[{'name': 'add'}]"}, None,
     "answers", "is not valid JSON"),
    ("xlam-answers-empty", {"query": "Hi there", "tools": "[]", "answers": "[]"}, None,
     "answers", "is empty: the row has no assistant turn to train on"),
    ("xlam-answers-not-list", {"query": "Hi", "tools": "[]", "answers": "42"}, None,
     "answers", "must be a list of calls, got number"),
    ("xlam-answer-not-object", {"query": "Hi", "tools": "[]", "answers": '["add(2, 3)"]'}, None,
     "answers[0]", "must be an object with name and arguments, got string"),
    ("xlam-tools-not-json", {"query": "Hi", "tools": "[{name: add}]", "answers": "[]"}, None,
     "tools", "is not valid JSON"),
    ("xlam-query-missing", {"query": None, "answers": "[]"}, None, "query", "must be a string, got null"),
    ("xlam-parameter-not-object", {"query": "Hi", "answers": '[{"name": "f", "arguments": {}}]',
                                   "tools": '[{"name": "f", "parameters": {"k": "int"}}]'}, None,
     "tools[0].parameters.k", "must be an object with type and description, got string"),
    ("glaive-functioncall-unclosed", {"system": GOOD_GLAIVE_SYSTEM, "chat":
        "USER: News?\n\n\nASSISTANT: <functioncall> {\"name\": \"get_news_headlines\", \"arguments\": "
        "'{\"country\": \"US\"}' <|endoftext|>"}, None,
     "chat", "turn 2 (ASSISTANT): the <functioncall> object is not closed"),
    ("glaive-functioncall-no-name", {"system": GOOD_GLAIVE_SYSTEM, "chat":
        "USER: News?\n\n\nASSISTANT: <functioncall> {\"function\": \"get_news_headlines\", \"arguments\": "
        "'{\"country\": \"US\"}'} <|endoftext|>"}, None, "chat", "has no \"name\""),
    ("glaive-functioncall-not-object", {"system": GOOD_GLAIVE_SYSTEM, "chat":
        "USER: News?\n\n\nASSISTANT: <functioncall> get_news_headlines(country='US') <|endoftext|>"}, None,
     "chat", "turn 2 (ASSISTANT): <functioncall> must be followed by"),
    ("glaive-functioncall-bare-arguments", {"system": GOOD_GLAIVE_SYSTEM, "chat":
        "USER: News?\n\n\nASSISTANT: <functioncall> {\"name\": \"get_news_headlines\", \"arguments\": country=US}"},
     None, "chat", "the <functioncall> arguments must be a quoted JSON object"),
    ("glaive-bad-function-listing", {"system": GLAIVE_ACCESS + "{\n    \"name\": \"get_news_headlines\",\n",
                                     "chat": "USER: Hi\n\n\nASSISTANT: Hello!"}, None,
     "system", "function 1 is not valid JSON"),
    ("glaive-no-turns", {"system": "SYSTEM: Be nice.", "chat": "Hello there, how are you?"}, None,
     "chat", "has no USER:, ASSISTANT: or FUNCTION RESPONSE: turns"),
    ("toolace-unparsable-call", {"system": TOOLACE_SYSTEM, "conversations": [
        {"from": "user", "value": "Weather?"}, {"from": "assistant", "value": "[get_weather(city=\"Paris\", days=)]"}]},
     None, "conversations[1].value", "cannot parse the Python call 'get_weather(city=\"Paris\", days=)'"),
    ("toolace-positional-argument", {"system": TOOLACE_SYSTEM, "conversations": [
        {"from": "user", "value": "Weather?"}, {"from": "assistant", "value": "[get_weather(\"Paris\")]"}]},
     None, "conversations[1].value", "positional arguments are not supported"),
    ("toolace-not-a-literal", {"system": TOOLACE_SYSTEM, "conversations": [
        {"from": "user", "value": "Weather?"}, {"from": "assistant", "value": "[get_weather(city=paris)]"}]},
     None, "conversations[1].value", "'paris' is not a literal value"),
    ("toolace-unclosed-list", {"system": TOOLACE_SYSTEM, "conversations": [
        {"from": "user", "value": "Weather?"}, {"from": "assistant", "value": "[get_weather(city='Paris')"}]},
     None, "conversations[1].value", "the Python call list is not closed with ]"),
    ("toolace-dict-key-not-string", {"system": TOOLACE_SYSTEM, "conversations": [
        {"from": "user", "value": "Weather?"}, {"from": "assistant", "value": "[get_weather(options={1: True})]"}]},
     None, "conversations[1].value", "has keys that are not strings"),
    ("toolace-bad-function-list", {"system": "Functions you can invoke:\n[{\"name\": \"get_weather\", }]",
                                   "conversations": [{"from": "user", "value": "Hi"}]}, None,
     "system", "the list of functions is not valid JSON"),
    ("mcp-not-tools-call", {"messages": [
        {"role": "user", "content": "List tools"},
        {"role": "assistant", "tool_calls": [{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}]}]},
     None, "messages[1].tool_calls[0].method", "is 'tools/list'; only JSON-RPC tools/call requests are tool calls"),
    ("mcp-params-not-object", {"messages": [
        {"role": "user", "content": "Read"},
        {"role": "assistant", "tool_calls": [{"jsonrpc": "2.0", "id": 1, "method": "tools/call"}]}]},
     None, "messages[1].tool_calls[0].params", "must be an object with name and arguments, got null"),
    ("row-not-object", [{"role": "user", "content": "Hi"}], None, "", "row must be a JSON object, got list"),
    ("no-known-format", {"prompt": "Hi", "completion": "Hello"}, None, "",
     "matches no known format: expected messages, conversations, query + answers, or system + chat "
     "(keys: completion, prompt)"),
]


@pytest.mark.parametrize("row,fmt,field,message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_unconvertible_rows_raise_convert_error(row, fmt, field, message):
    before = copy.deepcopy(row)
    with pytest.raises(ConvertError) as info:
        to_canonical(row, fmt)
    assert info.value.field == field
    assert message in info.value.message
    assert str(info.value) == (f"{field}: {info.value.message}" if field else info.value.message)
    assert row == before


def test_convert_error_is_a_value_error():
    assert issubclass(ConvertError, ValueError)


def test_unknown_format_name_is_a_caller_error():
    with pytest.raises(ValueError, match="unknown format 'alpaca'") as info:
        to_canonical({"messages": []}, "alpaca")
    assert not isinstance(info.value, ConvertError)


def test_forced_format_that_does_not_fit_names_the_missing_field():
    with pytest.raises(ConvertError) as info:
        to_canonical(OPENAI[0][0], "xlam")
    assert (info.value.field, info.value.message) == ("query", "is missing")


# ------------------------------------------------------------ robustness

JUNK = [None, 0, -2.5, True, "", " ", "{", "[", "'", "}", "<tool_call>{", "<tools>[{</tools>", "[f(a=", "[f(a=1)",
        "USER:", "ASSISTANT: <functioncall> {", [], {}, [1], {"a": 1}, [{"type": "text"}], {"jsonrpc": "2.0"},
        {"content": []}, {"jsonrpc": "2.0", "error": 1}, '{"name": 1}', '[{"name": "x", "results": 1}]',
        {"tool": 1}, {"function": 3}, {"method": "tools/call", "params": {}}]


def _paths(value, path=()):
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, path + (key,))


def test_damaged_rows_convert_or_raise_convert_error_never_another_exception():
    rng = random.Random(7)
    outcomes = {"converted": 0, "ConvertError": 0}
    for _ in range(1500):
        fmt, source, _ = rng.choice(CASES)
        row = copy.deepcopy(source)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice([p for p in _paths(row) if p])
            parent = row
            for key in path[:-1]:
                parent = parent[key]
            old = parent[path[-1]]
            if isinstance(old, str) and old and rng.random() < 0.4:  # cut or splice a string
                i = rng.randrange(len(old))
                parent[path[-1]] = old[:i] + rng.choice(["", "'", '"', "}", "]", ")", "\n\n\nUSER: ", "</tool_call>"]) \
                    + old[i + rng.randint(0, 3):]
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
        before = copy.deepcopy(row)
        for forced in (None, fmt):
            try:
                json.dumps(to_canonical(row, forced)[0])
                outcomes["converted"] += 1
            except ConvertError:
                outcomes["ConvertError"] += 1
        assert row == before
    assert min(outcomes.values()) > 100, outcomes


# -------------------------------------------------------------------- speed

def _openai_rows(n):
    rows = []
    for i in range(n):
        city = f"City{i}"
        rows.append({"id": i, "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": f"Weather in {city}?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"type": "function", "id": f"call_{i}", "function": {"name": "get_weather",
                                                                     "arguments": json.dumps({"city": city})}}]},
            {"role": "tool", "tool_call_id": f"call_{i}", "name": "get_weather", "content": '{"temp_c": 21}'},
            {"role": "assistant", "content": f"21 °C in {city}."}],
            "tools": [WEATHER, TIME] if i % 2 else json.dumps([WEATHER, TIME])})
    return rows


def test_detecting_rows_of_every_format():
    rows = [source for _, source, _ in CASES] * 3
    assert set(detect_format(r) for r in rows) == set(FORMATS)


def test_conversion_of_many_openai_rows():
    """Speed is measured by bench/data_check.py, not here; this checks the bulk path's results."""
    rows = _openai_rows(200)
    assert {detect_format(r) for r in rows} == {"openai"}
    converted = [to_canonical(r, "openai")[0] for r in rows]
    assert converted[1]["messages"][2]["tool_calls"][0]["function"]["arguments"] == {"city": "City1"}
    assert converted[2]["tools"] == [WEATHER, TIME]
