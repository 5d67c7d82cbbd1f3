common/redis/scripts.o: common/redis/scripts.cpp common/redis/scripts.hpp \
 common/redis/connection.hpp common/redis/error.hpp \
 common/redis/reply.hpp common/redis/url.hpp common/redis/keys.hpp
common/redis/scripts.hpp:
common/redis/connection.hpp:
common/redis/error.hpp:
common/redis/reply.hpp:
common/redis/url.hpp:
common/redis/keys.hpp:
