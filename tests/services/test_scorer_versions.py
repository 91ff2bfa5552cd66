"""The scorer editor's save (new_version_if_changed) against the API's (new_version): only the editor skips an
unchanged config."""
import pytest

from reviewapp.services import scorers
from reviewapp.services.errors import Conflict

CONFIG = {"min": 0, "max": 10}


@pytest.fixture
def admin(factory):
    project = factory.project()
    return project, factory.user(project=project, role="admin")


def test_the_editor_makes_no_version_for_an_unchanged_config(admin):
    project, user = admin
    definition = scorers.create_definition(project.id, user, name="Rating", kind="numeric", config=CONFIG)
    # The same settings as the editor sends them (a float where the stored config has an integer).
    assert scorers.new_version_if_changed(project.id, user, definition.id, {"min": 0, "max": 10.0},
                                          base_version="1") is None
    assert scorers.load_definition(project.id, definition.id).current_version == 1
    changed = scorers.new_version_if_changed(project.id, user, definition.id, {"min": 0, "max": 5}, base_version="1")
    assert changed is not None and changed.current_version == 2


def test_an_unchanged_config_saved_from_an_old_version_is_still_a_conflict(admin):
    project, user = admin
    definition = scorers.create_definition(project.id, user, name="Rating", kind="numeric", config=CONFIG)
    scorers.new_version(project.id, user, definition.id, {"min": 1, "max": 10})
    with pytest.raises(Conflict):
        scorers.new_version_if_changed(project.id, user, definition.id, CONFIG, base_version="1")


def test_the_api_rule_always_makes_a_version(admin):
    project, user = admin
    definition = scorers.create_definition(project.id, user, name="Rating", kind="numeric", config=CONFIG)
    assert scorers.new_version(project.id, user, definition.id, CONFIG, base_version=1).current_version == 2
