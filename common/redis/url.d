common/redis/url.o: common/redis/url.cpp common/redis/url.hpp
common/redis/url.hpp:
