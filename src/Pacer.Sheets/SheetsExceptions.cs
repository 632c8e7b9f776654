using System.Net;

namespace Pacer.Sheets;

/// <summary>
/// Sheets refused the request for a reason that repeating it will not change: a bad range or request (400
/// <c>INVALID_ARGUMENT</c>), no access to the spreadsheet (403 <c>PERMISSION_DENIED</c>), an unknown spreadsheet (404),
/// a refused credential (401). A <see cref="PermanentJobException"/>. The message never holds the credential.
/// </summary>
public sealed class SheetsRequestException : PermanentJobException
{
    public SheetsRequestException()
        : this("Google Sheets refused the request.")
    {
    }

    public SheetsRequestException(string message)
        : base(message)
    {
        Operation = "";
    }

    public SheetsRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "";
    }

    internal SheetsRequestException(string message, string operation, HttpStatusCode statusCode, string? status, bool credentialRefused)
        : base(message)
    {
        Operation = operation;
        StatusCode = statusCode;
        Status = status;
        CredentialRefused = credentialRefused;
    }

    /// <summary>The method called: <c>spreadsheets.values.append</c>, <c>spreadsheets.batchUpdate</c>, ...</summary>
    public string Operation { get; }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The RPC status Sheets gave: <c>INVALID_ARGUMENT</c>, <c>PERMISSION_DENIED</c>, <c>NOT_FOUND</c>, <c>UNAUTHENTICATED</c>.</summary>
    public string? Status { get; }

    /// <summary>True when the credential was refused (wrong, expired, or a service account key Google does not accept).</summary>
    public bool CredentialRefused { get; }
}

/// <summary>
/// A write may or may not have been applied: it timed out, the connection broke after the request was sent, or Sheets
/// answered with a server error. It is not sent again blindly (an append would be written twice); read back what is
/// there and write what is missing. <c>SheetsTableSink</c> does exactly that.
/// </summary>
public sealed class SheetsOutcomeUnknownException : Exception
{
    public SheetsOutcomeUnknownException()
        : this("A Google Sheets write may or may not have been applied.")
    {
    }

    public SheetsOutcomeUnknownException(string message)
        : base(message)
    {
        Operation = "";
    }

    public SheetsOutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "";
    }

    internal SheetsOutcomeUnknownException(string message, string operation, Exception innerException)
        : base(message, innerException)
    {
        Operation = operation;
    }

    /// <summary>The write: <c>spreadsheets.values.append</c> or <c>spreadsheets.batchUpdate</c>.</summary>
    public string Operation { get; }
}
