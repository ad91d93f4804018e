#!/bin/sh
# SessionStart: plain stdout becomes additional context for the session.
echo "The hello-world plugin is active: /hello greets, /git:summary summarises changes."
