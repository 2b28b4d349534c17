"""Channel-agnostic core: types, dispatcher, context. Never imports a channel library."""
