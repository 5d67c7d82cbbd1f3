#include "store/asio_connection.hpp"

namespace asio = boost::asio;

namespace vcon_redis::server::store {

void AsioConnection::open(redis::Connection conn) {
    close();
    conn_.emplace(std::move(conn));
    sd_.emplace(ioc_, conn_->fd());
}

void AsioConnection::close() {
    if (sd_) {
        boost::system::error_code ignored;
        sd_->cancel(ignored);
        sd_->release();
        sd_.reset();
    }
    if (conn_) {
        conn_->close();
        conn_.reset();
        ++generation_;
    }
    writing_ = false;
    // The handlers stay: close() is often called from inside one of them (destroying a
    // std::function while it runs is undefined), and the generation check keeps them from being
    // called for a closed connection. The next read_replies() replaces them.
}

void AsioConnection::flush(OnError on_error) {
    if (!conn_ || writing_)
        return;
    try {
        if (conn_->flush())
            return;
    } catch (const redis::Error &e) {
        on_error(e.what());
        return;
    }
    writing_ = true;
    sd_->async_wait(asio::posix::stream_descriptor::wait_write,
                    [this, gen = generation_, on_error = std::move(on_error)](boost::system::error_code ec) {
                        if (gen != generation_)
                            return;
                        writing_ = false;
                        if (ec) {
                            on_error("redis: waiting to write failed");
                            return;
                        }
                        flush(on_error);
                    });
}

void AsioConnection::read_replies(OnReply on_reply, OnError on_error) {
    on_reply_ = std::move(on_reply);
    on_read_error_ = std::move(on_error);
    wait_readable();
}

void AsioConnection::wait_readable() {
    sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, gen = generation_](boost::system::error_code ec) {
                        if (gen != generation_)
                            return;
                        if (ec) {
                            on_read_error_("redis: waiting to read failed");
                            return;
                        }
                        on_readable();
                    });
}

void AsioConnection::on_readable() {
    const auto gen = generation_;
    try {
        for (;;) {
            const bool got = conn_->read();
            for (redis::Reply r = conn_->next_reply(); r; r = conn_->next_reply()) {
                // A handler may close the connection (or resume a coroutine that does): stop then.
                if (!on_reply_(std::move(r)) || gen != generation_)
                    return;
            }
            if (!got)
                break;
        }
    } catch (const redis::Error &e) {
        if (gen == generation_)
            on_read_error_(e.what());
        return;
    }
    wait_readable();
}

} // namespace vcon_redis::server::store
