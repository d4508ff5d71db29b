// SPDX-License-Identifier: MIT
// mqttwire: the whole library in one include.
#ifndef MQTTWIRE_MQTTWIRE_HPP
#define MQTTWIRE_MQTTWIRE_HPP

#include "mqttwire/decode.hpp"
#include "mqttwire/encode.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/framer.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/owned.hpp"
#include "mqttwire/packet_id_allocator.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/response.hpp"
#include "mqttwire/session/client.hpp"
#include "mqttwire/session/id_string.hpp"
#include "mqttwire/session/server.hpp"
#include "mqttwire/session/state.hpp"
#include "mqttwire/subscription_index.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/topic_match.hpp"
#include "mqttwire/types.hpp"
#include "mqttwire/version.hpp"

#endif  // MQTTWIRE_MQTTWIRE_HPP
