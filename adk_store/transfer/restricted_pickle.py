"""Loading the pickled ``actions`` of ADK's legacy (v0) event rows, and nothing else.

ADK's v0 schema stored each event's ``EventActions`` as a pickle. Loading a
pickle can run any code its author chose, and rows read from a database are
untrusted input, so this is the one place in adk-store that loads one: through
an unpickler that resolves only the classes an ``EventActions`` value is made
of (ADK's and google-genai's pydantic models and enums, and plain data types)
and refuses every other global before anything is called.

The list is written out rather than derived, so a reviewer can read exactly
what may be constructed; a test checks that it still covers every model and
enum reachable from ``EventActions`` in the installed ADK.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    # Plain data: each is rebuilt by calling the type on data, which runs no
    # code chosen by the payload.
    "builtins": frozenset(
        {
            "bool",
            "bytearray",
            "bytes",
            "complex",
            "dict",
            "float",
            "frozenset",
            "int",
            "list",
            "set",
            "str",
            "tuple",
        }
    ),
    "collections": frozenset({"OrderedDict"}),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "uuid": frozenset({"UUID"}),
    # ADK's event and auth models (pydantic: rebuilt from a field dict).
    "google.adk.events.event_actions": frozenset({"EventActions", "EventCompaction"}),
    "google.adk.events.ui_widget": frozenset({"UiWidget"}),
    "google.adk.tools.tool_confirmation": frozenset({"ToolConfirmation"}),
    "google.adk.auth.auth_tool": frozenset({"AuthConfig"}),
    "google.adk.auth.auth_credential": frozenset(
        {
            "AuthCredential",
            "AuthCredentialTypes",
            "HttpAuth",
            "HttpCredentials",
            "OAuth2Auth",
            "ServiceAccount",
            "ServiceAccountCredential",
        }
    ),
    "google.adk.auth.auth_schemes": frozenset(
        {"CustomAuthScheme", "ExtendedOAuth2", "OAuthGrantType", "OpenIdConnectWithConfig"}
    ),
    # The OpenAPI security schemes an AuthConfig holds.
    "fastapi.openapi.models": frozenset(
        {
            "APIKey",
            "APIKeyIn",
            "HTTPBase",
            "HTTPBearer",
            "OAuth2",
            "OAuthFlow",
            "OAuthFlowAuthorizationCode",
            "OAuthFlowClientCredentials",
            "OAuthFlowImplicit",
            "OAuthFlowPassword",
            "OAuthFlows",
            "OpenIdConnect",
            "SecurityBase",
            "SecuritySchemeType",
        }
    ),
    # Content of compaction events and of tool confirmations.
    "google.genai.types": frozenset(
        {
            "Blob",
            "CodeExecutionResult",
            "Content",
            "ExecutableCode",
            "FileData",
            "FunctionCall",
            "FunctionResponse",
            "FunctionResponseBlob",
            "FunctionResponseFileData",
            "FunctionResponsePart",
            "FunctionResponseScheduling",
            "Language",
            "MediaProcessing",
            "Outcome",
            "Part",
            "PartMediaResolution",
            "PartMediaResolutionLevel",
            "PartialArg",
            "SpeechMetadata",
            "ToolCall",
            "ToolResponse",
            "ToolType",
            "Transcription",
            "VideoMetadata",
            "WordInfo",
        }
    ),
}


class RefusedPickleError(pickle.UnpicklingError):
    """A pickled value names a class that an ADK event's actions cannot hold."""


class UnreadablePickleError(ValueError):
    """A pickled value that was refused, or is damaged; the message says which."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_CLASSES`.

    ``find_class`` is where a pickle turns a name into something callable
    (``os.system``, ``builtins.eval``, ...), so refusing there stops a payload
    before any of its code can run.
    """

    def find_class(self, module: str, name: str) -> Any:
        if name in ALLOWED_CLASSES.get(module, frozenset()):
            return super().find_class(module, name)
        raise RefusedPickleError(
            f"Refused to load {module}.{name} from a pickled ADK v0 event: it is not a type "
            "that ADK's EventActions can hold, and loading it could run code. If the database "
            "is yours and trusted, convert it with ADK's 'adk migrate session' first and "
            "import the converted (v1) database."
        )


def restricted_loads(data: bytes) -> Any:
    """The value pickled in ``data``, built from allowed classes only.

    Every failure is an `UnreadablePickleError`, so callers need not
    know pickle's own exception types.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except RefusedPickleError as exc:
        raise UnreadablePickleError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a damaged payload can fail in any constructor
        raise UnreadablePickleError(
            f"A pickled ADK v0 event cannot be loaded ({type(exc).__name__}: {exc}); the row "
            "is damaged or was not written by ADK."
        ) from None
