// The AWS SDK warns once per process that Node 20 support ends in 2027; golive supports Node >= 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
