"""What routing learns on the way to a page, kept so serving it costs fewer queries.

Wagtail routes a URL one slug at a time from the site's home page. Each page passed through is
noted on the request (the "trail"), so the served page knows its ancestors without asking the
database: breadcrumbs need no query, and neither does the list of pages whose view restrictions
apply (Wagtail's `get_view_restrictions` otherwise reads every ancestor first). A page that only
passes the request on to a child is taken in its specific class with its own fields deferred, so
the hop costs one query instead of two (docs/performance.md, "Public pages").

Invariant: the trail is trusted only when it is exactly the page's ancestors below the tree root
(one page per depth, each a prefix of the page's path) and none of them, nor the page, is an
alias; anything else falls back to Wagtail's own queries, so the answer never changes.
"""

from django.db.models import Q
from django.http import Http404
from wagtail.models import Page, PageViewRestriction

TRAIL = "_home_route_trail"


def trail_of(request) -> list:
    return getattr(request, TRAIL, [])


def route_to_child(page, request, path_components, passes_through):
    """Wagtail's `Page.route` for a request below `page`, noting `page` on the trail.

    `passes_through(cls)` says whether a page of that class, with more of the path left, only
    routes on to one of its children (so none of its own fields are read).
    """
    setattr(request, TRAIL, [*trail_of(request), page])
    child_slug, remaining = path_components[0], path_components[1:]
    try:
        child = page.get_children().get(slug=child_slug)
    except Page.DoesNotExist as e:
        raise Http404 from e
    child._cached_parent_obj = page  # as Wagtail does: get_parent() needs no query
    if remaining and child.specific_class is not None and passes_through(child.specific_class):
        return child.specific_deferred.route(request, remaining)
    return child.specific.route(request, remaining)


class RouteTrailMixin:
    """For the page served: its ancestors from the trail, and its view restrictions from them."""

    def note_route_ancestors(self, request) -> None:
        self._route_ancestors = trail_of(request)

    def route_ancestors(self) -> list | None:
        """Ancestors below the tree root, home page first, if routing found them; else None."""
        trail = getattr(self, "_route_ancestors", None)
        if trail is None or len(trail) != self.depth - 2:
            return None
        if not all(self.path.startswith(p.path) and p.depth == i + 2 for i, p in enumerate(trail)):
            return None
        return trail

    def get_view_restrictions(self):
        trail = self.route_ancestors()
        if trail is None or any(p.alias_of_id for p in [*trail, self]):
            return super().get_view_restrictions()
        # The same pages Wagtail checks: this one, its ancestors and the tree root.
        ids = [p.id for p in trail] + [self.id]
        root = Q(page__path=self.path[: self.steplen])
        return PageViewRestriction.objects.filter(Q(page_id__in=ids) | root)
