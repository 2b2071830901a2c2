# One cmocka program per module; scripts/test runs them with TAP output.
UNIT_LIBS = $(REXEC_LIBS) $(CMOCKA_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_username
tests_unit_test_username_SOURCES = tests/unit/test_username.c
tests_unit_test_username_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_username_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_authkeys
tests_unit_test_authkeys_SOURCES = tests/unit/test_authkeys.c tests/unit/test_keys.h
tests_unit_test_authkeys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_authkeys_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/test_keys.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_cgroup
tests_unit_test_cgroup_SOURCES = tests/unit/test_cgroup.c
tests_unit_test_cgroup_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cgroup_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_audit
tests_unit_test_audit_SOURCES = tests/unit/test_audit.c
tests_unit_test_audit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_audit_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_proto
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_home
tests_unit_test_home_SOURCES = tests/unit/test_home.c
tests_unit_test_home_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_home_LDADD = $(UNIT_LIBS)

# Runs the real monitor against a scripted network process; needs root.
check_PROGRAMS += tests/unit/test_monitor
tests_unit_test_monitor_SOURCES = tests/unit/test_monitor.c tests/unit/test_keys.h
tests_unit_test_monitor_CFLAGS = $(UNIT_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_monitor_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_seccomp
tests_unit_test_seccomp_SOURCES = tests/unit/test_seccomp.c
tests_unit_test_seccomp_CFLAGS = $(UNIT_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_seccomp_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_envcheck
tests_unit_test_envcheck_SOURCES = tests/unit/test_envcheck.c
tests_unit_test_envcheck_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_envcheck_LDADD = $(UNIT_LIBS)
