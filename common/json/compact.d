common/json/compact.o: common/json/compact.cpp common/json/compact.hpp
common/json/compact.hpp:
