"""common.ops without a broker: the container CPU limit and the operations address."""
import pytest

from common import ops


@pytest.mark.parametrize("content, expected", [("200000 100000\n", 2.0), ("50000 100000\n", 0.5),
                                               ("150000 100000\n", 1.5)])
def test_cpu_limit_reads_cgroup_v2_cpu_max(tmp_path, content, expected):
    (tmp_path / "cpu.max").write_text(content)
    assert ops.cpu_limit(str(tmp_path)) == expected


def test_cpu_limit_reads_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert ops.cpu_limit(str(tmp_path)) == 3.0


def test_without_a_limit_the_cpus_the_process_may_run_on(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert ops.cpu_limit(str(tmp_path)) >= 1


def test_the_render_pool_is_sized_from_the_cpu_limit(monkeypatch):
    from conventions.rendering import RenderPool
    monkeypatch.delenv("CONVENTIONS_RENDER_PROCESSES", raising=False)
    monkeypatch.setattr(ops, "cpu_limit", lambda cgroup_root="/sys/fs/cgroup": 3.0)
    assert RenderPool().processes == 2
    monkeypatch.setattr(ops, "cpu_limit", lambda cgroup_root="/sys/fs/cgroup": 0.5)
    assert RenderPool().processes == 1


def test_ops_address(monkeypatch):
    monkeypatch.delenv("STAGES_OPS_ADDRESS", raising=False)
    assert ops.ops_address("offers") == ("127.0.0.1", 9102)
    monkeypatch.setenv("STAGES_OPS_ADDRESS", "0.0.0.0:9100")
    assert ops.ops_address("offers") == ("0.0.0.0", 9100)
    monkeypatch.setenv("STAGES_OPS_ADDRESS", "off")
    assert ops.ops_address("offers") is None
