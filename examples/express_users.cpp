/*
 * Adds a user to an Avara Express customer, then removes them again, with
 * the C++ wrapper include/avara.hpp.
 *
 * Usage: express_users_cpp CUSTOMER_ID USER_ID
 *
 * The API key comes from AVARA_API_KEY and the server from AVARA_BASE_URL
 * (default https://api.avarasoftware.com). Exits 0 when both calls
 * succeed, 1 otherwise.
 */
#include <chrono>
#include <iostream>

#include "avara.hpp"

namespace {

void print_response(const char *what, const avara::UsersResponse &response) {
    std::cout << what << ": success=" << (response.success ? "true" : "false")
              << " message=" << response.message.value_or("(none)") << '\n';
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " CUSTOMER_ID USER_ID\n";
        return 2;
    }
    std::cout << "libavara " << avara::version() << '\n';

    try {
        // Unset options, the key and URL here, come from the environment.
        avara::Client client(avara::ClientOptions().timeout(std::chrono::seconds(30)));

        print_response("add", client.express_users_add(argv[1], argv[2]));
        print_response("remove", client.express_users_remove(argv[1], argv[2]));
    } catch (const avara::Error &error) {
        std::cerr << "failed: " << error.status_name() << '\n' << "  " << error.what() << '\n';
        if (error.http_status() != 0) {
            std::cerr << "  HTTP status: " << error.http_status() << '\n';
        }
        if (error.request_id()) {
            std::cerr << "  request id: " << *error.request_id() << '\n';
        }
        return 1;
    }
    return 0;
}
