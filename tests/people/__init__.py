"""One person, several channels: /link, where notices and reminders go."""
