librexec_a_SOURCES += \
	src/common/log.c \
	src/common/util.c \
	src/common/buf.c \
	src/common/proto.c \
	src/common/username.c \
	src/common/config.c \
	src/common/proctitle.c \
	src/common/envcheck.c
