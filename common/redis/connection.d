common/redis/connection.o: common/redis/connection.cpp \
 common/redis/connection.hpp common/redis/error.hpp \
 common/redis/reply.hpp common/redis/url.hpp
common/redis/connection.hpp:
common/redis/error.hpp:
common/redis/reply.hpp:
common/redis/url.hpp:
