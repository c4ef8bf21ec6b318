"""CustomObject and CustomApplication files whose action overrides assign record pages.

Children come in schema order, so the files have the shape retrieved files have.
"""

from __future__ import annotations

from tasks.totango_sf.metadata.schema import MD_NS


def override(
    content: str | None,
    action: str = "View",
    form_factor: str | None = "Large",
    kind: str = "Flexipage",
    target: str | None = None,
) -> str:
    """An ActionOverride (an AppActionOverride with ``target``), children in schema order."""
    parts = [f"<actionName>{action}</actionName>"]
    if content is not None:
        parts.append(f"<content>{content}</content>")
    if form_factor is not None:
        parts.append(f"<formFactor>{form_factor}</formFactor>")
    parts.append("<skipRecordTypeSelect>false</skipRecordTypeSelect>")
    parts.append(f"<type>{kind}</type>")
    if target is not None:
        parts.append(f"<pageOrSobjectType>{target}</pageOrSobjectType>")
    return f"<actionOverrides>{''.join(parts)}</actionOverrides>"


def profile_override(
    content: str,
    target: str,
    profile: str,
    record_type: str | None = None,
    action: str = "View",
    form_factor: str = "Large",
    kind: str = "Flexipage",
) -> str:
    parts = [
        f"<actionName>{action}</actionName>",
        f"<content>{content}</content>",
        f"<formFactor>{form_factor}</formFactor>",
        f"<pageOrSobjectType>{target}</pageOrSobjectType>",
    ]
    if record_type is not None:
        parts.append(f"<recordType>{record_type}</recordType>")
    parts.append(f"<type>{kind}</type><profile>{profile}</profile>")
    return f"<profileActionOverrides>{''.join(parts)}</profileActionOverrides>"


def sobject_file(*overrides: str, namespace: bool = True) -> bytes:
    xmlns = f' xmlns="{MD_NS}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject{xmlns}>'
        + "".join(overrides)
        + "<enableFeeds>false</enableFeeds></CustomObject>"
    ).encode()


def app_file(*overrides: str, profiles: tuple[str, ...] = (), namespace: bool = True) -> bytes:
    xmlns = f' xmlns="{MD_NS}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomApplication{xmlns}>'
        + "".join(overrides)
        + "<label>Sales</label><navType>Standard</navType>"
        + "".join(profiles)
        + "<uiType>Lightning</uiType></CustomApplication>"
    ).encode()
