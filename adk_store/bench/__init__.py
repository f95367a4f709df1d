"""The benchmark behind ``adk-store bench``, and the throwaway servers it shares with the tests."""
