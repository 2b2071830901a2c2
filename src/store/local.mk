librexec_a_SOURCES += \
	src/store/authkeys.c \
	src/store/store.c
