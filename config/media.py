"""Where uploaded media (images, their renditions, documents) are stored: local disk by default,
or an S3-compatible bucket shared by every app server (docs/deploy.md, "Shared media").

A pure function of the environment mapping, so config/settings/base.py reads the environment
once and the tests can build the same storage settings for a bucket they start themselves.
"""

from collections.abc import Mapping
from urllib.parse import urlsplit

S3_BACKEND = "storages.backends.s3.S3Storage"


def media_storage(environ: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry. With AWS_STORAGE_BUCKET_NAME set: a private bucket (no
    ACL on objects, so they inherit the bucket's, which must block public access), every URL
    signed for AWS_QUERYSTRING_EXPIRE seconds, uploads never overwriting each other."""
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL", "").strip() or None,
        "region_name": environ.get("AWS_S3_REGION_NAME", "").strip() or None,
        # Unset: boto3 finds credentials itself (instance role, ~/.aws, its own variables).
        "access_key": environ.get("AWS_ACCESS_KEY_ID", "").strip() or None,
        "secret_key": environ.get("AWS_SECRET_ACCESS_KEY", "").strip() or None,
        "location": environ.get("AWS_LOCATION", "media").strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": int(environ.get("AWS_QUERYSTRING_EXPIRE", "3600")),
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE", "").strip() or None,
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def media_origin(environ: Mapping[str, str]) -> str:
    """The origin signed media URLs point at, for the Content-Security-Policy's img-src ("" for
    local media, which is 'self'). MEDIA_ORIGIN overrides the guess."""
    if environ.get("MEDIA_ORIGIN", "").strip():
        return environ["MEDIA_ORIGIN"].strip().rstrip("/")
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return ""
    endpoint = environ.get("AWS_S3_ENDPOINT_URL", "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        if environ.get("AWS_S3_ADDRESSING_STYLE", "").strip() == "virtual":
            return f"{parts.scheme}://{bucket}.{parts.netloc}"
        return f"{parts.scheme}://{parts.netloc}"
    region = environ.get("AWS_S3_REGION_NAME", "").strip()
    return f"https://{bucket}.s3.{region}.amazonaws.com" if region else f"https://{bucket}.s3.amazonaws.com"
