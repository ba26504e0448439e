"""Provider ports and implementations: email (DNS, SMTP), llm (OpenAI-compatible)."""
