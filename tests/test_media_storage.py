"""Shared media in S3-compatible object storage (config/media.py, docs/deploy.md "Shared media").

A real S3 server (moto's server mode) listens on loopback for this module; the storage settings
are built by the same function the settings use, from the environment an operator would set.
"""

import gc
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from config.media import S3_BACKEND, media_origin, media_storage

try:
    import boto3
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer
    from storages.backends.s3 import S3Storage
except ImportError as error:  # the test extras install moto[server] and django-storages[s3]
    pytest.skip(f"S3 tests need moto[server] and django-storages[s3]: {error}", allow_module_level=True)

BUCKET = "site-media"
# moto keeps each stored object in a temporary file and warns when the garbage collector, not
# moto, closes one (copies it makes while serving); that is the test server's housekeeping.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning",
    "ignore:S3 key was not disposed of in time:ResourceWarning",
)


@pytest.fixture(scope="module")
def s3_environ():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    environ = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_S3_REGION_NAME": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    }
    client = boto3.client(
        "s3",
        endpoint_url=environ["AWS_S3_ENDPOINT_URL"],
        region_name="eu-west-2",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    client.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    yield environ
    server.stop()
    for account in list(s3_backends):
        for backend in s3_backends[account].values():
            backend.reset()  # closes every stored object's temporary file
    gc.collect()


@pytest.fixture
def s3_media(s3_environ, settings, db):
    """This test's app uses the bucket as its default storage, exactly as configured."""
    storage = media_storage(s3_environ)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.WAGTAILDOCS_SERVE_METHOD = "redirect"
    return storage


def fetch(url: str) -> tuple[int, bytes]:
    assert urlsplit(url).hostname == "127.0.0.1"  # loopback only
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a loopback test server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


def test_local_disk_unless_a_bucket_is_named():
    assert media_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert media_origin({}) == ""


def test_the_settings_make_a_private_signed_bucket(s3_environ):
    storage = media_storage(s3_environ)
    assert storage["BACKEND"] == S3_BACKEND
    options = storage["OPTIONS"]
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["location"] == "media"
    assert media_origin(s3_environ) == s3_environ["AWS_S3_ENDPOINT_URL"]


def test_two_app_servers_see_one_upload(s3_environ):
    # Two storage objects from the same settings, each with its own boto3 session and connection,
    # stand for two app servers.
    options = media_storage(s3_environ)["OPTIONS"]
    first, second = S3Storage(**options), S3Storage(**options)
    name = first.save("documents/minutes.txt", ContentFile(b"minutes of the steering group"))
    assert second.exists(name)
    with second.open(name) as handle:
        assert handle.read() == b"minutes of the steering group"
    # The same name again does not overwrite: the second upload gets a name of its own.
    other = second.save("documents/minutes.txt", ContentFile(b"a different file"))
    assert other != name
    with first.open(name) as handle:
        assert handle.read() == b"minutes of the steering group"

    url = first.url(name)
    assert "X-Amz-Signature=" in url
    assert fetch(url) == (200, b"minutes of the steering group")
    # Unsigned, the private bucket refuses it.
    assert fetch(url.split("?")[0])[0] == 403


def test_wagtail_image_upload_and_rendition_are_served_from_the_bucket(s3_media, admin_client):
    response = admin_client.post(
        reverse("wagtailimages:add"),
        {
            "title": "Steering group",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile("steering.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content[:500]
    image = get_image_model().objects.get(title="Steering group")
    assert isinstance(default_storage._wrapped, S3Storage)
    assert image.file.name.startswith("original_images/")

    # Another app server, knowing only the settings, finds the original in the bucket.
    other_server = S3Storage(**s3_media["OPTIONS"])
    assert other_server.exists(image.file.name)

    rendition = image.get_rendition("fill-20x20")
    assert rendition.file.name.startswith("images/")
    assert other_server.exists(rendition.file.name)
    status, body = fetch(rendition.url)
    assert status == 200
    assert PILImage.open(io.BytesIO(body)).size == (20, 20)
    assert "X-Amz-Signature=" in rendition.url
    assert fetch(rendition.url.split("?")[0])[0] == 403


def test_a_document_is_served_by_a_signed_redirect(s3_media, client):
    document = get_document_model().objects.create(
        title="Annual report",
        file=ContentFile(b"%PDF-1.4 annual report", name="annual-report.pdf"),
    )
    response = client.get(document.url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_media["OPTIONS"]["endpoint_url"]) and "X-Amz-Signature=" in location
    assert fetch(location) == (200, b"%PDF-1.4 annual report")


def test_production_settings_use_the_bucket_and_allow_its_images(s3_environ):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "s" * 60,
        "CALDAV_ENCRYPTION_KEY": "A" * 43 + "=",
        **s3_environ,
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.STORAGES['default']['BACKEND'], s.CONTENT_SECURITY_POLICY, "
        "s.WAGTAILDOCS_SERVE_METHOD]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    backend, policy, serve_method = json.loads(proc.stdout)
    assert backend == S3_BACKEND
    assert policy["DIRECTIVES"]["img-src"] == ["'self'", "data:", s3_environ["AWS_S3_ENDPOINT_URL"]]
    assert serve_method == "redirect"
