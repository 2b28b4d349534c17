"""OCOP Assistant: the chatbot for Vietnam's One Commune One Product programme."""
