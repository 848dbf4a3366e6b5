package com.example;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class Report {
    private static final Logger LOG = LogManager.getLogger(Report.class);

    public static void main(String[] args) {
        LOG.info("report for {}", args.length > 0 ? args[0] : "today");
    }
}
