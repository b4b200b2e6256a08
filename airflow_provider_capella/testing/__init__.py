"""Testing utilities shipped with the provider: the Capella API emulator and its pytest plugin."""
