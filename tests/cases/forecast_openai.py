from openai import OpenAI

DATE_FORMAT = "%Y-%m-%d %H:%M"
REPORT_TEMPLATE = "{day}: {summary} ({rain_mm} mm)"
SYSTEM_PROMPT = """Role: you explain weather forecasts to farmers who plan field work.

Constraints:
- Use only the forecast data you are given; do not guess missing hours.
- Give temperatures in degrees Celsius and rain in millimetres.

Task: say which of the next three days is best for spraying crops, and why.

Output: one short paragraph, then a line "Best day: <weekday>".
"""

client = OpenAI()


def advise(city: str, forecast: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        temperature=0,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Location: {city}\n\nHourly forecast:\n{forecast}"},
        ],
    )
    return response.choices[0].message.content


def headline(forecast: str) -> str:
    response = client.responses.create(
        model="gpt-4o-mini",
        instructions="Summarise the forecast as a single headline of at most 12 words.",
        input=forecast,
    )
    return response.output_text
