"""A tiny error hierarchy; the CLI and UI turn these into messages."""


class AssistantError(Exception):
    """Base class: a problem the user can act on."""


class IndexMissingError(AssistantError):
    pass


class IndexStaleError(AssistantError):
    pass


class BadQuestionError(AssistantError):
    pass


class GroundingError(AssistantError):
    """An answer states a number that is not in its cited quotes."""


class IndexBusyError(AssistantError):
    """Another ingest holds the index lock."""


class BadInputError(AssistantError):
    """An argument of a public entry point has the wrong type or form."""
