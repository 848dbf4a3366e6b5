"""Starts the salt master with the farm's configuration."""

import salt.config
import salt.master


def main() -> None:
    opts = salt.config.master_config("/etc/salt/master")
    salt.master.Master(opts).start()


if __name__ == "__main__":
    main()
